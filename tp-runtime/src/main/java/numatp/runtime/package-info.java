/**
 * The runtime: NumaTensorParallelConfig, the placement planner, pinned shard workers, the engine and HTTP server.
 */
package numatp.runtime;
