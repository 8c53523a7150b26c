package numatp.runtime.plan;

import numatp.runtime.config.NumaTensorParallelConfig;
import numatp.topology.IdSet;
import numatp.topology.NumaNode;
import numatp.topology.TopologyView;
import numatp.topology.pinning.CpuOrder;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Lays each node's shards over its CPUs: the node's allowed CPUs in pinning-policy order,
 * cut into consecutive blocks of {@code threadsPerShard}, one block per shard in rank
 * order. When the blocks outnumber the CPUs, they wrap around and the plan says the
 * node is oversubscribed.
 */
final class ShardCpus {
    private ShardCpus() {
    }

    static List<ShardPlacement> assign(TopologyView allowed, List<NumaNode> candidates, int[] rankNodePositions,
                                       int[] counts, NumaTensorParallelConfig config, List<String> reasons,
                                       List<String> warnings) {
        int shards = rankNodePositions.length;
        ShardPlacement[] placements = new ShardPlacement[shards];
        for (int position = 0; position < candidates.size(); position++) {
            int onNode = counts[position];
            if (onNode == 0) {
                continue;
            }
            NumaNode node = candidates.get(position);
            int[] order = CpuOrder.order(allowed, node.cpus(), config.pinningPolicy());
            int cores = Math.max(1, CpuOrder.coreCount(allowed, node.cpus()));
            int threads = config.threadsPerShard() > 0 ? config.threadsPerShard() : Math.max(1, cores / onNode);
            int slot = 0;
            for (int rank = 0; rank < shards; rank++) {
                if (rankNodePositions[rank] != position) {
                    continue;
                }
                int[] cpus = new int[threads];
                for (int t = 0; t < threads; t++) {
                    cpus[t] = order[(slot * threads + t) % order.length];
                }
                placements[rank] = new ShardPlacement(rank, node.id(), IdSet.of(cpus), threads);
                slot++;
            }
            String how = config.threadsPerShard() > 0
                    ? "--threads-per-shard " + threads
                    : cores + " cores / " + onNode + (onNode == 1 ? " shard" : " shards");
            reasons.add(String.format(Locale.ROOT, "node %d: %d thread%s per shard (%s), %s pinning over CPUs %s",
                    node.id(), threads, threads == 1 ? "" : "s", how,
                    config.pinningPolicy().name().toLowerCase(Locale.ROOT), node.cpus().toListString()));
            int wanted = onNode * threads;
            if (wanted > order.length) {
                warnings.add(String.format(Locale.ROOT,
                        "node %d is oversubscribed %.1fx: %d shard%s x %d thread%s on %d CPU%s; collectives will wait"
                                + " with the backoff idle strategy, and per-token latency will suffer",
                        node.id(), (double) wanted / order.length, onNode, onNode == 1 ? "" : "s", threads,
                        threads == 1 ? "" : "s", order.length, order.length == 1 ? "" : "s"));
            } else if (wanted > cores) {
                warnings.add("node " + node.id() + ": " + wanted + " threads on " + cores
                        + " cores use SMT siblings, which share a core's execution units");
            }
        }
        List<ShardPlacement> list = new ArrayList<>(shards);
        for (ShardPlacement p : placements) {
            list.add(p);
        }
        return list;
    }
}
