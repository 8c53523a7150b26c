/**
 * What an embedder uses: {@code NumaTensorParallelConfig}, the placement planner, pinned shard
 * workers and the tensor-parallel engine. No HTTP, command-line, plotting or metrics library.
 */
package numatp.runtime;
