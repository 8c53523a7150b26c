/**
 * Persistent, pinned worker threads for tensor-parallel shards: a {@link numatp.topology.workers.ShardGroup}
 * starts each shard's team through a {@link numatp.topology.workers.PinnedThreadFactory} that applies the
 * plan's CPUs and memory policy before the thread does any work, checks with {@code getcpu} where it landed
 * and records a {@link numatp.topology.workers.WorkerOutcome}.
 */
package numatp.topology.workers;
