package numatp.runtime.engine;

import numatp.collectives.Communicator;
import numatp.collectives.shm.RegionAllocator;
import numatp.collectives.shm.ThreadTransport;
import numatp.collectives.team.ShardGroup;
import numatp.models.tp.TpEngine;
import numatp.models.tp.WeightPlacement;
import numatp.runtime.config.ByteSize;
import numatp.runtime.config.NumaTensorParallelConfig;
import numatp.runtime.plan.PlacementPlan;
import numatp.runtime.plan.PlacementPlanner;
import numatp.runtime.workers.BindingReport;
import numatp.runtime.workers.ShardWorkers;
import numatp.topology.Topology;
import numatp.topology.binding.NumaBinder;
import numatp.weights.ArenaSliceAllocator;
import numatp.weights.ModelTensors;
import numatp.weights.NodeSliceAllocator;
import numatp.weights.SliceAllocator;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * A model running as a {@link NumaTensorParallelConfig} says: the topology is read (or a
 * captured one used), the planner places the shards, a {@link ShardGroup} starts their
 * pinned teams, each shard's communicator rank and weight slices are put on its node,
 * and a {@link TpEngine} runs on top. What was obtained (plan, binding per thread, weight
 * bytes per node) is kept for start-up reports and metrics.
 */
public final class TpRuntime implements EngineRuntime {
    private final PlacementPlan plan;
    private final boolean simulated;
    private final ShardGroup group;
    private final TpEngine engine;
    private final NodeSliceAllocator nodeSlices; // null for a simulated plan
    private final long threadsNs; // starting the pinned shard teams
    private final long weightsNs; // assembling the engine: weight slices copied to node memory, KV caches, buffers
    private final long weightsCpuNs; // process CPU time (all threads) in that phase, -1 when the OS does not say

    private TpRuntime(PlacementPlan plan, boolean simulated, ShardGroup group, TpEngine engine,
                      NodeSliceAllocator nodeSlices, long threadsNs, long weightsNs, long weightsCpuNs) {
        this.plan = plan;
        this.simulated = simulated;
        this.group = group;
        this.engine = engine;
        this.nodeSlices = nodeSlices;
        this.threadsNs = threadsNs;
        this.weightsNs = weightsNs;
        this.weightsCpuNs = weightsCpuNs;
    }

    /** The plan for {@code model} under {@code config}: its memory needs include the KV cache of {@code capacity}. */
    public static PlacementPlan plan(ModelTensors model, NumaTensorParallelConfig config, Topology topology,
                                     TpEngine.Capacity capacity) {
        return PlacementPlanner.plan(topology, config,
                ModelFootprint.of(model, config.shards(), capacity.slots(), capacity.slotPositions()));
    }

    /**
     * Plans and starts {@code model} on {@code topology}. {@code simulated} is true when the
     * topology is a capture of another machine: threads then run unpinned and memory is not
     * bound, with one warning to {@code log}.
     */
    public static TpRuntime start(ModelTensors model, NumaTensorParallelConfig config, Topology topology,
                                  boolean simulated, TpEngine.Capacity capacity, Consumer<String> log) {
        PlacementPlan plan = plan(model, config, topology, capacity);
        for (String warning : plan.warnings()) {
            log.accept("warning: " + warning);
        }
        return start(model, plan, simulated, capacity, UnaryOperator.identity(), log);
    }

    /**
     * Starts {@code model} as {@code plan} says. Weight slices and KV caches go to each
     * shard's node ({@link NodeSliceAllocator}; plain memory for a captured topology's plan);
     * {@code wrap} may decorate that allocator, e.g. to show loading progress.
     */
    public static TpRuntime start(ModelTensors model, PlacementPlan plan, boolean simulated,
                                  TpEngine.Capacity capacity, UnaryOperator<SliceAllocator> wrap,
                                  Consumer<String> log) {
        long t0 = System.nanoTime();
        ShardGroup group = ShardWorkers.start(plan, simulated, NumaBinder.system(), log);
        long t1 = System.nanoTime();
        long cpu1 = processCpuNs();
        NodeSliceAllocator nodeSlices = simulated ? null : NodeSliceAllocator.system();
        SliceAllocator slices = wrap.apply(nodeSlices != null ? nodeSlices : new ArenaSliceAllocator(Arena.ofShared()));
        Communicator[] comms = null;
        try {
            int[] nodeOfRank = plan.nodeOfRank();
            NumaTensorParallelConfig config = plan.config();
            comms = (simulated
                    ? ThreadTransport.create(nodeOfRank, CollectiveSettings.of(config), RegionAllocator.shared())
                    : ThreadTransport.create(nodeOfRank, CollectiveSettings.of(config))).toArray(new Communicator[0]);
            TpEngine engine = new TpEngine(model, group, capacity, slices, comms, config.reduction());
            long weightsNs = System.nanoTime() - t1;
            long cpu2 = processCpuNs();
            return new TpRuntime(plan, simulated, group, engine, nodeSlices, t1 - t0, weightsNs,
                    cpu1 < 0 || cpu2 < 0 ? -1 : cpu2 - cpu1);
        } catch (RuntimeException e) {
            if (comms != null) {
                for (Communicator c : comms) {
                    c.close();
                }
            }
            if (nodeSlices != null) {
                nodeSlices.close();
            }
            group.close();
            throw e;
        }
    }

    @Override
    public PlacementPlan plan() {
        return plan;
    }

    /** True when the plan is for a captured topology and binding was skipped. */
    public boolean simulated() {
        return simulated;
    }

    public ShardGroup group() {
        return group;
    }

    @Override
    public TpEngine engine() {
        return engine;
    }

    /**
     * One line on how start-up went, for the start-up report: {@code load: open 0.05 s; shard threads 0.01 s;
     * weights to node memory 4.58 GiB in 3.2 s (1.54 GB/s); total 3.3 s}. {@code openNs} is the
     * caller's time to open (map and parse) the model file; total runs from {@code sinceNs}
     * ({@link System#nanoTime}) to now. The weights' time includes KV caches and buffers; GB/s is
     * the weight bytes copied per second of it; CPU is the process's CPU time in that phase (all
     * threads: the copy and the first-touch threads), which says more than the wall time on a busy host.
     */
    @Override
    public String loadLine(long openNs, long sinceNs) {
        long bytes = engine.placement().weightBytes();
        return String.format(Locale.ROOT,
                "load: open %.2f s; shard threads %.2f s; weights to %s %s in %.2f s (%.2f GB/s%s); total %.2f s",
                openNs / 1e9, threadsNs / 1e9, simulated ? "memory" : "node memory", ByteSize.format(bytes),
                weightsNs / 1e9, bytes / Math.max(1.0, weightsNs),
                weightsCpuNs < 0 ? "" : String.format(Locale.ROOT, ", CPU %.2f s", weightsCpuNs / 1e9),
                (System.nanoTime() - sinceNs) / 1e9);
    }

    private static long processCpuNs() {
        return ProcessHandle.current().info().totalCpuDuration().map(java.time.Duration::toNanos).orElse(-1L);
    }

    /** One line per shard thread: where it was planned, where getcpu saw it, match/mismatch/skipped. */
    @Override
    public List<String> bindingLines() {
        return BindingReport.lines(group);
    }

    @Override
    public String bindingSummary() {
        return BindingReport.summary(group);
    }

    /** Where the weights and KV caches were placed: bytes per node, local share per shard. */
    public WeightPlacement placement() {
        return engine.placement();
    }

    /**
     * One line per shard: where its weights and KV cache are against its node, e.g.
     * {@code shard 1 on node 1: weights 520.3 MiB 100.0% local, KV 32.0 MiB 100.0% local -> match}.
     * "match" needs at least 99% of both on the node; "unknown" when memory was not bound.
     */
    @Override
    public List<String> residencyLines() {
        List<String> lines = new ArrayList<>();
        for (WeightPlacement.ShardBytes s : engine.placement().shards()) {
            boolean unknown = Double.isNaN(s.weightLocalPercent()) || Double.isNaN(s.kvLocalPercent());
            boolean match = !unknown && s.weightLocalPercent() >= 99 && s.kvLocalPercent() >= 99;
            lines.add(String.format(Locale.ROOT,
                    "shard %d on node %d: weights %s %s, KV %s %s -> %s", s.shard(), s.node(),
                    ByteSize.format(s.weightBytes()), percent(s.weightLocalPercent()),
                    ByteSize.format(s.kvCacheBytes()), percent(s.kvLocalPercent()),
                    unknown ? "unknown" : match ? "match" : "MISMATCH"));
        }
        return lines;
    }

    private static String percent(double p) {
        return Double.isNaN(p) ? "(placement unknown)" : String.format(Locale.ROOT, "%.1f%% local", p);
    }

    @Override
    public String placementSummary() {
        return engine.placement().summary();
    }

    /** Frees the engine (communicators, buffers), then the shard threads, then the weights. */
    @Override
    public void close() {
        try {
            engine.close();
        } finally {
            try {
                group.close();
            } finally {
                if (nodeSlices != null) {
                    nodeSlices.close();
                }
            }
        }
    }
}
