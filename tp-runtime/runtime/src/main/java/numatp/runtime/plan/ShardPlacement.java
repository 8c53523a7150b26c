package numatp.runtime.plan;

import numatp.topology.IdSet;

/**
 * Where one shard runs.
 *
 * @param shard   the shard's rank
 * @param node    the NUMA node holding its threads, weights and KV cache
 * @param cpus    the CPUs its threads are pinned to (one per thread, in thread order)
 * @param threads how many threads its team has
 */
public record ShardPlacement(int shard, int node, IdSet cpus, int threads) {
}
