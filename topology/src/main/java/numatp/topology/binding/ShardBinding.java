package numatp.topology.binding;

import numatp.topology.IdSet;

/**
 * Where one shard's team runs: its NUMA node, the CPUs for its threads (thread i gets
 * the i-th CPU, wrapping around when there are fewer CPUs than threads) and its thread count.
 *
 * @param shard the shard's rank, 0-based
 * @param node the node whose memory the shard's threads prefer (or are bound to)
 * @param cpus the shard's CPUs; empty means "do not pin"
 * @param threads threads in the shard's team, at least 1
 * @param shareCpus pin every thread to the whole {@code cpus} set instead of one CPU each: for
 *                  oversubscribed nodes, where one CPU per thread would stack threads that the
 *                  scheduler could otherwise spread over the node's free moments
 */
public record ShardBinding(int shard, int node, IdSet cpus, int threads, boolean shareCpus) {
    /** One CPU per thread. */
    public ShardBinding(int shard, int node, IdSet cpus, int threads) {
        this(shard, node, cpus, threads, false);
    }

    public ShardBinding {
        if (shard < 0) {
            throw new IllegalArgumentException("shard must be >= 0: " + shard);
        }
        if (threads < 1) {
            throw new IllegalArgumentException("shard " + shard + " needs at least one thread: " + threads);
        }
        if (cpus == null) {
            throw new IllegalArgumentException("shard " + shard + ": cpus must not be null (use IdSet.empty())");
        }
    }

    /** An unpinned single-thread shard on node 0. */
    public static ShardBinding unbound(int shard) {
        return new ShardBinding(shard, 0, IdSet.empty(), 1);
    }

    /** The CPUs team thread {@code thread} is pinned to: one CPU, the whole set, or none (not pinned). */
    public IdSet cpusOfThread(int thread) {
        if (cpus.isEmpty()) {
            return IdSet.empty();
        }
        return shareCpus ? cpus : IdSet.of(cpuOfThread(thread));
    }

    /** The CPU of team thread {@code thread}, or -1 when the shard is not pinned. */
    public int cpuOfThread(int thread) {
        if (cpus.isEmpty()) {
            return -1;
        }
        int[] ids = cpus.toArray();
        return ids[thread % ids.length];
    }
}
