/**
 * Persistent, pinned worker threads for tensor-parallel shards: a {@link numatp.collectives.team.ShardGroup}
 * starts each shard's team through a {@link numatp.topology.binding.PinnedThreadFactory} that applies the
 * plan's CPUs and memory policy before the thread does any work, checks with {@code getcpu} where it landed
 * and records a {@link numatp.topology.binding.WorkerOutcome}.
 */
package numatp.collectives.team;
