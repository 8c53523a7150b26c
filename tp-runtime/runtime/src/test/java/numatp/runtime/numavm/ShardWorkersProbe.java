package numatp.runtime.numavm;

import numatp.collectives.team.ShardGroup;
import numatp.runtime.config.NumaTensorParallelConfig;
import numatp.runtime.plan.ModelMemory;
import numatp.runtime.plan.PlacementPlan;
import numatp.runtime.plan.PlacementPlanner;
import numatp.runtime.plan.ShardPlacement;
import numatp.runtime.workers.BindingReport;
import numatp.runtime.workers.ShardWorkers;
import numatp.topology.IdSet;
import numatp.topology.Topology;
import numatp.topology.TopologyDetector;
import numatp.topology.binding.NumaBinder;
import numatp.topology.binding.WorkerOutcome;

/**
 * Runs inside a numa-vm guest: plans {@code SHARDS} shards over {@code NODES} (e.g. {@code 2 1} or
 * {@code 4 0,1}), starts the plan's pinned workers, runs one step in which every shard asks
 * {@code getcpu} where it is, and prints {@code PROBE} lines for the test to read.
 */
public final class ShardWorkersProbe {
    private ShardWorkersProbe() {
    }

    public static void main(String[] args) {
        Topology topology = TopologyDetector.detect();
        NumaBinder binder = NumaBinder.system();
        for (int i = 0; i + 1 < args.length; i += 2) {
            int shards = Integer.parseInt(args[i]);
            IdSet nodes = IdSet.parseList(args[i + 1], "probe nodes");
            String key = "case." + shards + "." + args[i + 1].replace(',', '_');
            NumaTensorParallelConfig config = NumaTensorParallelConfig.builder().shards(shards).numaNodes(nodes)
                    .interNodePenalty(0).build();
            PlacementPlan plan = PlacementPlanner.plan(topology, config, ModelMemory.NONE);
            try (ShardGroup group = ShardWorkers.start(plan, false, binder, w -> System.out.println("PROBE warning=" + w))) {
                int[] cpu = new int[shards];
                int[] node = new int[shards];
                group.run((shard, team) -> {
                    cpu[shard] = binder.currentCpu();
                    node[shard] = binder.currentNode();
                });
                for (ShardPlacement s : plan.shards()) {
                    System.out.println("PROBE " + key + ".shard" + s.shard() + ".planned=" + s.node() + ":"
                            + s.cpus().toListString());
                    System.out.println("PROBE " + key + ".shard" + s.shard() + ".ran=" + node[s.shard()] + ":"
                            + cpu[s.shard()]);
                }
                for (WorkerOutcome o : group.outcomes()) {
                    System.out.println("PROBE " + key + ".shard" + o.shard() + ".verdict=" + o.verdict());
                }
                for (String line : BindingReport.lines(group)) {
                    System.out.println("PROBE " + key + ".report=" + line);
                }
            }
        }
        System.out.println("PROBE done=true");
    }
}
