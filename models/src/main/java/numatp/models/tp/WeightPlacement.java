package numatp.models.tp;

import numatp.collectives.Communicator;
import numatp.weights.SliceAllocator;
import numatp.weights.Tensor;
import numatp.weights.TensorSlicer;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Where an engine's weights and KV caches are, per node and per shard, as the allocator
 * obtained them. Replicated bytes are the per-node copies (embeddings, norms) shared by the
 * shards of a node; sharded bytes are each shard's own slices. A shard's local percentage is
 * the share of the weight bytes it reads (its slices and its node's replicas) that sit on its
 * node: sampled residency or strict binding, NaN when the allocator cannot tell (unbound).
 *
 * @param allocator how memory was placed ("node memory, bind", "unbound arena")
 * @param nodes per node that received memory, ascending
 * @param shards per shard, in rank order
 */
public record WeightPlacement(String allocator, List<NodeBytes> nodes, List<ShardBytes> shards) {
    public WeightPlacement {
        nodes = List.copyOf(nodes);
        shards = List.copyOf(shards);
    }

    /** Bytes asked for on one node. */
    public record NodeBytes(int node, long replicatedBytes, long shardedBytes, long kvCacheBytes) {
        public long weightBytes() {
            return replicatedBytes + shardedBytes;
        }
    }

    /**
     * One shard: the weight bytes it reads, their share on its node (percent, NaN unknown),
     * its KV cache bytes and their share on its node.
     */
    public record ShardBytes(int shard, int node, long weightBytes, double weightLocalPercent, long kvCacheBytes,
                             double kvLocalPercent) {
    }

    /** Measures where the slices and caches of an engine's shards are. */
    static WeightPlacement measure(ShardWeights[] weights, ShardForward[] forwards, Communicator[] comms,
                                   TensorSlicer slicer, SliceAllocator allocator) {
        int[] ranks = new int[weights.length];
        for (int s = 0; s < ranks.length; s++) {
            ranks[s] = s;
        }
        return measure(ranks, weights, forwards, comms, slicer, allocator);
    }

    /** {@link #measure} for the shards of one worker process: element i is rank {@code ranks[i]}. */
    static WeightPlacement measure(int[] ranks, ShardWeights[] weights, ShardForward[] forwards, Communicator[] comms,
                                   TensorSlicer slicer, SliceAllocator allocator) {
        Map<Integer, Long> kvByNode = new TreeMap<>();
        List<ShardBytes> shardBytes = new ArrayList<>();
        for (int i = 0; i < weights.length; i++) {
            int s = ranks[i];
            int node = comms[i].nodeOfRank(s);
            long bytes = 0;
            double local = 0;
            for (Tensor t : weights[i].tensors()) {
                long b = t.data().byteSize();
                bytes += b;
                local += b == 0 ? 0 : b * allocator.fractionOnNode(t.data(), node);
            }
            ShardForward f = forwards[i];
            kvByNode.merge(node, f.kvCacheBytes(), Long::sum);
            shardBytes.add(new ShardBytes(s, node, bytes, bytes == 0 ? Double.NaN : 100 * local / bytes,
                    f.kvCacheBytes(), 100 * f.kvFractionOnNode(allocator, node)));
        }
        Set<Integer> nodes = new TreeSet<>(slicer.nodes());
        nodes.addAll(kvByNode.keySet());
        List<NodeBytes> nodeBytes = new ArrayList<>();
        for (int n : nodes) {
            nodeBytes.add(new NodeBytes(n, slicer.replicatedBytes(n), slicer.shardedBytes(n),
                    kvByNode.getOrDefault(n, 0L)));
        }
        return new WeightPlacement(allocator.description(), nodeBytes, shardBytes);
    }

    public long replicatedBytes() {
        return nodes.stream().mapToLong(NodeBytes::replicatedBytes).sum();
    }

    public long shardedBytes() {
        return nodes.stream().mapToLong(NodeBytes::shardedBytes).sum();
    }

    public long weightBytes() {
        return replicatedBytes() + shardedBytes();
    }

    public long kvCacheBytes() {
        return nodes.stream().mapToLong(NodeBytes::kvCacheBytes).sum();
    }

    /** Share of all shards' weight reads that are node-local, weighted by bytes; NaN when any is unknown. */
    public double localPercent() {
        double local = 0;
        long total = 0;
        for (ShardBytes s : shards) {
            local += s.weightLocalPercent() * s.weightBytes();
            total += s.weightBytes();
        }
        return total == 0 ? Double.NaN : local / total;
    }

    /**
     * One line: {@code weights 864.1 MiB (sharded 797.4, replicated 66.7); KV 64.0 MiB;
     * node 0: 864.1 MiB; local 100.0% (node memory, bind)}.
     */
    public String summary() {
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
                "weights %.1f MiB (sharded %.1f, replicated %.1f); KV %.1f MiB", mib(weightBytes()),
                mib(shardedBytes()), mib(replicatedBytes()), mib(kvCacheBytes())));
        for (NodeBytes n : nodes) {
            out.append(String.format(Locale.ROOT, "; node %d: %.1f MiB", n.node(),
                    mib(n.weightBytes() + n.kvCacheBytes())));
        }
        double local = localPercent();
        out.append(Double.isNaN(local) ? "; local unknown" : String.format(Locale.ROOT, "; local %.1f%%", local));
        return out.append(" (").append(allocator).append(')').toString();
    }

    private static double mib(long bytes) {
        return bytes / 1048576.0;
    }
}
