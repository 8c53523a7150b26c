package numatp.runtime.plan;

import numatp.topology.Distances;

/**
 * The layout planner's estimate of decode speed, and every constant it uses, in one place.
 *
 * <p>One decode step of an engine (a replica) with a batch of {@code b} sequences takes
 * <pre>
 *   step(b) = max over used nodes n of max( W_n / (c_n · CORE_BANDWIDTH),  b · W_n / (c_n · CORE_COMPUTE) )
 *           + layers · ( TEAM_SYNCS_PER_LAYER · TEAM_SYNC_NS · ⌈log2 t⌉
 *                        + ALLREDUCES_PER_LAYER · allreduce(b) )
 *   allreduce(b) = LOCAL_ALLREDUCE_NS · (s − 1)                                   (ring among a node's s shards)
 *                + [U > 1] ( CROSS_NODE_ALLREDUCE_NS · (SLIT_max / REFERENCE_SLIT) · ⌈log2 U⌉
 *                            + b · hidden · 4 bytes / CROSS_NODE_BYTES_PER_S )
 * </pre>
 * where {@code W_n} is the weight bytes node n streams per step (its shards' slices),
 * {@code c_n} the engine's physical cores on it, {@code t} the most threads of one shard,
 * {@code s} the most shards on one node, {@code U} the nodes the engine uses and
 * {@code SLIT_max} the largest SLIT distance between them. Memory bandwidth and compute
 * both scale with cores here: no capture carries a bandwidth figure, so a node's cores
 * stand for its share of the machine's memory channels (as {@link PlacementCost}'s
 * balance term does).
 *
 * <p>A layout of R replicas serving C concurrent sequences gives each replica ⌈C/R⌉ or
 * ⌊C/R⌋ of them (the router balances outstanding work) and yields
 * {@code Σ_r b_r / step_r(b_r)} tokens per second; a replica with no sequence adds nothing.
 *
 * <p>The figures are per-core rates of a current server core, not of any one machine; they
 * set the trade-off's shape (where batching stops helping, what a cross-node allreduce
 * costs against streaming the weights), and `tp bench serve` is the arbiter.
 */
public final class LayoutCostModel {
    /**
     * DRAM bandwidth one core's share of a busy socket streams, bytes/s: 12 DDR5-4800
     * channels (about 460 GB/s) over 96 cores is 4.8 GB/s; 8 channels over 56 cores 5.5 GB/s.
     */
    public static final double CORE_BANDWIDTH_BYTES_PER_S = 5e9;
    /**
     * Weight bytes one core multiplies per second for one sequence when they are already
     * in cache: numatp's Q8_0 matvec measured 18.6 GB/s on one Zen 4 core
     * (shared/BENCHMARKS.md, "Kernel headroom"). Beyond a batch of CORE_COMPUTE /
     * CORE_BANDWIDTH (about 4) sequences a step is compute-bound.
     */
    public static final double CORE_COMPUTE_BYTES_PER_S = 18e9;
    /** Team barriers per layer inside a shard (one per matrix product: q, k, v, o, gate, up, down). */
    public static final int TEAM_SYNCS_PER_LAYER = 7;
    /** One level of a team's barrier, ns (a cache-line round trip between cores, 0.1-1.3 µs measured; a mid value). */
    public static final double TEAM_SYNC_NS = 250;
    /** Allreduces per layer: after attention-out and after MLP-down. */
    public static final int ALLREDUCES_PER_LAYER = 2;
    /** One step of the ring among shards of one node, ns (numatp thread transport, 2 ranks, 4 KiB: 0.62 µs). */
    public static final double LOCAL_ALLREDUCE_NS = 600;
    /**
     * The fixed cost of one allreduce between nodes at {@link #REFERENCE_SLIT}, ns: flag
     * hand-offs over the socket link plus the barrier's wait for the slowest node's jitter.
     * An assumption, not a numatp measurement (no multi-socket machine in the lab yet); CPU
     * engines report tens of µs per cross-socket allreduce, which is why vLLM's CPU users saw
     * tensor parallelism over two sockets run up to 79 % slower. Replace it with
     * {@code tp bench allreduce} on a two-socket machine when one is available.
     */
    public static final double CROSS_NODE_ALLREDUCE_NS = 20_000;
    /** The SLIT distance {@link #CROSS_NODE_ALLREDUCE_NS} is quoted at (two sockets of a common server). */
    public static final double REFERENCE_SLIT = 21;
    /** Bytes/s an allreduce moves between nodes (f32 activations; a socket link's share for one copy stream). */
    public static final double CROSS_NODE_BYTES_PER_S = 10e9;
    /** The model size assumed for speed estimates when none is given (memory is then not checked). */
    public static final long ASSUMED_MODEL_BYTES = 1L << 30;
    /** Relative difference in tokens/s below which two layouts tie (then batch-1 speed, then fewer replicas). */
    public static final double TIE = 1e-9;
    /**
     * Layouts within this share of the best tokens/s at the expected concurrency count as
     * equally fast, and the one fastest for a single sequence among them wins: the model is
     * not precise to a few percent, and a lighter load than expected then runs faster.
     */
    public static final double NEAR_TIE = 0.03;

    private LayoutCostModel() {
    }

    /** Layers estimated from the weight bytes: 16 at 1 GiB, growing with the cube root, in [2, 128]. */
    public static int estimatedLayers(long weightBytes) {
        double gib = Math.max(weightBytes, 1) / (double) (1L << 30);
        return (int) Math.max(2, Math.min(128, Math.round(16 * Math.cbrt(gib))));
    }

    /** Width estimated from bytes and layers: a Llama layer holds about 12·hidden² weights (1 byte each, Q8). */
    public static int estimatedHiddenSize(long weightBytes, int layers) {
        return (int) Math.max(64, Math.min(65_536, Math.round(Math.sqrt(Math.max(weightBytes, 1) / (12.0 * layers)))));
    }

    /** The speed terms of one replica's plan (see the class comment); {@code distances} over the whole machine. */
    static ReplicaSpeed speed(PlacementPlan plan, Distances distances, ModelProfile model) {
        long weights = model.sizeKnown() ? model.weightBytes() : ASSUMED_MODEL_BYTES;
        int layers = model.sizeKnown() ? model.layers() : estimatedLayers(weights);
        int hidden = model.sizeKnown() ? model.hiddenSize() : estimatedHiddenSize(weights, layers);
        int shards = plan.shards().size();
        double bandwidthNs = 0;
        double computeNs = 0;
        int maxShardsOnNode = 0;
        int maxThreads = 1;
        int used = 0;
        int maxSlit = 10;
        for (NodeBudget node : plan.nodes()) {
            int onNode = node.shards().size();
            if (onNode == 0) {
                continue;
            }
            used++;
            double streamed = (double) weights * onNode / shards;
            bandwidthNs = Math.max(bandwidthNs, 1e9 * streamed / (node.cores() * CORE_BANDWIDTH_BYTES_PER_S));
            computeNs = Math.max(computeNs, 1e9 * streamed / (node.cores() * CORE_COMPUTE_BYTES_PER_S));
            maxShardsOnNode = Math.max(maxShardsOnNode, onNode);
            for (NodeBudget other : plan.nodes()) {
                if (!other.shards().isEmpty()) {
                    maxSlit = Math.max(maxSlit, distances.distance(node.id(), other.id()));
                }
            }
        }
        for (ShardPlacement shard : plan.shards()) {
            maxThreads = Math.max(maxThreads, shard.threads());
        }
        double perLayerNs = TEAM_SYNCS_PER_LAYER * TEAM_SYNC_NS * ceilLog2(maxThreads)
                + ALLREDUCES_PER_LAYER * LOCAL_ALLREDUCE_NS * (maxShardsOnNode - 1);
        double crossPerSequenceNs = 0;
        if (used > 1) {
            perLayerNs += ALLREDUCES_PER_LAYER * CROSS_NODE_ALLREDUCE_NS * (maxSlit / REFERENCE_SLIT) * ceilLog2(used);
            crossPerSequenceNs = layers * ALLREDUCES_PER_LAYER * 1e9 * hidden * Float.BYTES / CROSS_NODE_BYTES_PER_S;
        }
        return new ReplicaSpeed(bandwidthNs, computeNs, layers * perLayerNs, crossPerSequenceNs);
    }

    static int ceilLog2(int value) {
        return value <= 1 ? 0 : 32 - Integer.numberOfLeadingZeros(value - 1);
    }

    /**
     * One replica's step time as a function of its batch.
     *
     * @param bandwidthNs          streaming the busiest node's weights once
     * @param computeNsPerSequence multiplying them for one sequence
     * @param syncNs               team barriers and allreduce latencies of one step
     * @param crossNsPerSequence   cross-node allreduce bytes of one sequence
     */
    record ReplicaSpeed(double bandwidthNs, double computeNsPerSequence, double syncNs, double crossNsPerSequence) {
        double stepNs(int batch) {
            return Math.max(bandwidthNs, batch * computeNsPerSequence) + syncNs + batch * crossNsPerSequence;
        }

        /** Tokens per second with {@code batch} sequences in the step (0 for none). */
        double tokensPerSecond(int batch) {
            return batch == 0 ? 0 : batch * 1e9 / stepNs(batch);
        }
    }
}
