/**
 * {@link numatp.runtime.config.NumaTensorParallelConfig}: what an embedder or a command line asks\n * for (shards, nodes, pinning, collectives), validated once, readable from JSON.
 */
package numatp.runtime.config;
