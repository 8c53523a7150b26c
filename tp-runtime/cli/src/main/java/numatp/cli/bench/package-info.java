/**
 * What {@code tp bench allreduce} measures (latency per algorithm and size, memory-copy ceiling,\n * cache-line round trip) and its JSON and PNG output; {@code bench.serve} load-tests a server.
 */
package numatp.cli.bench;
