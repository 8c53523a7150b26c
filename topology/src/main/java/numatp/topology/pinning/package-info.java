/**
 * The order in which shard threads take CPUs (compact, scatter, one thread per core) and the\n * pinning policy named by {@code --pinning}.
 */
package numatp.topology.pinning;
