package numatp.runtime.workers;

import numatp.collectives.team.ShardGroup;
import numatp.collectives.team.WorkerOptions;
import numatp.runtime.plan.PlacementPlan;
import numatp.runtime.plan.ShardPlacement;
import numatp.topology.IdSet;
import numatp.topology.binding.BindMode;
import numatp.topology.binding.NumaBinder;
import numatp.topology.binding.ShardBinding;
import numatp.topology.linux.MemPolicy;
import numatp.topology.pinning.PinningPolicy;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Starts the {@link ShardGroup} a {@link PlacementPlan} describes. On the machine the plan
 * was made for, every shard thread is pinned to its planned CPU and prefers (or, with
 * {@code preferLocalMemory} off, leaves) its node's memory. For a captured topology
 * ({@code --topology-root}) the plan's CPUs may not exist here: the threads run unpinned,
 * with one warning, so a plan for a big machine can still be run end to end.
 */
public final class ShardWorkers {
    /** Printed once when a captured topology's plan is run unpinned. */
    public static final String SIMULATED_WARNING = "warning: --topology-root plans for a captured machine; shard threads"
            + " run unpinned here and memory is not bound (binding skipped)";

    private ShardWorkers() {
    }

    /**
     * The per-shard bindings of {@code plan}, in rank order: one CPU per thread, except on an
     * oversubscribed node, where every thread of the node's shards may use all of the node's
     * planned CPUs (a thread pinned to one CPU it shares could not move to a moment another
     * CPU is free).
     */
    public static List<ShardBinding> bindings(PlacementPlan plan) {
        java.util.Map<Integer, IdSet> nodeCpus = new java.util.HashMap<>();
        java.util.Map<Integer, Integer> nodeThreads = new java.util.HashMap<>();
        for (ShardPlacement s : plan.shards()) {
            nodeCpus.merge(s.node(), s.cpus(), IdSet::union);
            nodeThreads.merge(s.node(), s.threads(), Integer::sum);
        }
        List<ShardBinding> list = new ArrayList<>();
        for (ShardPlacement s : plan.shards()) {
            IdSet cpus = nodeCpus.get(s.node());
            boolean oversubscribed = nodeThreads.get(s.node()) > cpus.size();
            list.add(oversubscribed
                    ? new ShardBinding(s.shard(), s.node(), cpus, s.threads(), true)
                    : new ShardBinding(s.shard(), s.node(), s.cpus(), s.threads()));
        }
        return list;
    }

    /** How the threads of {@code plan} are started: bound here, or skipped for a captured topology. */
    public static WorkerOptions options(PlacementPlan plan, boolean simulated) {
        MemPolicy policy = plan.config().preferLocalMemory() ? MemPolicy.PREFERRED : MemPolicy.DEFAULT;
        BindMode mode = simulated ? BindMode.SIMULATED
                : plan.config().pinningPolicy() == PinningPolicy.NONE ? BindMode.NONE : BindMode.BIND;
        return WorkerOptions.bound().withMode(mode).withMemoryPolicy(policy);
    }

    /**
     * Starts {@code plan}'s workers; for a simulated topology {@code warnings} receives
     * {@link #SIMULATED_WARNING} once.
     *
     * @throws numatp.topology.binding.BindingException when a thread cannot be pinned as planned
     */
    public static ShardGroup start(PlacementPlan plan, boolean simulated, NumaBinder binder, Consumer<String> warnings) {
        if (simulated) {
            warnings.accept(SIMULATED_WARNING);
        }
        return ShardGroup.start(bindings(plan), options(plan, simulated), binder);
    }
}
