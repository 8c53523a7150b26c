package numatp.runtime.plan;

import numatp.runtime.config.ConfigException;
import numatp.runtime.config.NumaTensorParallelConfig;
import numatp.topology.IdSet;
import numatp.topology.Topology;
import numatp.topology.pinning.PinningPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

import static numatp.runtime.plan.TestTopologies.GIB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PlacementPlannerTest {
    private static final int[] SHARD_COUNTS = {1, 2, 3, 4, 8, 16};
    private static final double[] PENALTIES = {0.0, 0.3, 0.7, 1.0};

    static List<String> captures() {
        return TestTopologies.captureNames();
    }

    @ParameterizedTest
    @MethodSource("captures")
    void plansForEveryCaptureSatisfyTheInvariants(String name) {
        Topology topology = TestTopologies.capture(name);
        for (int shards : SHARD_COUNTS) {
            int previousNodes = Integer.MAX_VALUE;
            for (double penalty : PENALTIES) {
                for (PinningPolicy policy : PinningPolicy.values()) {
                    NumaTensorParallelConfig config = NumaTensorParallelConfig.builder()
                            .shards(shards).interNodePenalty(penalty).pinningPolicy(policy).build();
                    String context = name + " shards=" + shards + " penalty=" + penalty + " " + policy;
                    PlacementPlan plan = PlacementPlanner.plan(topology, config, ModelMemory.NONE);
                    PlanInvariants.check(topology, plan, context);
                    assertEquals(plan, PlacementPlanner.plan(topology, config, ModelMemory.NONE), "deterministic: " + context);
                    if (policy == PinningPolicy.SCATTER) {
                        int used = plan.usedNodes().size();
                        assertTrue(used <= previousNodes, "raising the penalty must not add nodes: " + context);
                        previousNodes = used;
                    }
                }
            }
        }
    }

    @Test
    void aNodeWhoseMemoryTheCgroupForbidsIsExplainedNotReportedAsEmpty() {
        // CPUs 0-3 allowed (node 0) but cpuset.mems = 2-3 (CPU-less nodes)
        Topology topology = TestTopologies.capture("16amd64-4n4c-cgroup-distance-merge");
        PlacementPlan plan = PlacementPlanner.plan(topology,
                NumaTensorParallelConfig.builder().shards(4).build(), ModelMemory.NONE);
        assertTrue(plan.reasons().stream().anyMatch(r -> r.startsWith("node 0's memory is not allowed")
                && r.contains("cpuset.mems: 2-3")), String.join("\n", plan.reasons()));
    }

    @Test
    void plansForGeneratedMachinesSatisfyTheInvariants() {
        long seed = 0x5EED_9A1L;
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < 300; i++) {
            Topology topology = TestTopologies.random(random, 16);
            int shards = random.nextInt(1, 33);
            int previousNodes = Integer.MAX_VALUE;
            for (double penalty : PENALTIES) {
                NumaTensorParallelConfig config = NumaTensorParallelConfig.builder().shards(shards)
                        .interNodePenalty(penalty).pinningPolicy(random.nextBoolean() ? PinningPolicy.SCATTER : PinningPolicy.COMPACT)
                        .build();
                String context = "seed=" + seed + " case=" + i + " shards=" + shards + " penalty=" + penalty;
                PlacementPlan plan = PlacementPlanner.plan(topology, config, ModelMemory.NONE);
                PlanInvariants.check(topology, plan, context);
                int used = plan.usedNodes().size();
                assertTrue(used <= previousNodes, "raising the penalty must not add nodes: " + context);
                previousNodes = used;
            }
        }
    }

    @Test
    void spreadsEightShardsOverTwoSocketsAtTheDefaultPenaltyAndPacksAtHighPenalty() {
        Topology twoSockets = TestTopologies.synthetic(new int[] {0, 1}, new int[] {16, 16}, true,
                new long[] {100 * GIB, 100 * GIB}, new int[][] {{10, 21}, {21, 10}});
        PlacementPlan spread = PlacementPlanner.plan(twoSockets, NumaTensorParallelConfig.ofShards(8), ModelMemory.NONE);
        assertEquals(2, spread.usedNodes().size());
        assertEquals(IdSet.range(0, 3), spread.usedNodes().get(0).shards());
        assertEquals(IdSet.range(4, 7), spread.usedNodes().get(1).shards());
        assertEquals(4, spread.shard(0).threads());
        PlacementPlan packed = PlacementPlanner.plan(twoSockets,
                NumaTensorParallelConfig.builder().shards(8).interNodePenalty(0.9).build(), ModelMemory.NONE);
        assertEquals(1, packed.usedNodes().size());
        assertEquals(0.0, packed.interNodeTrafficShare());
    }

    @Test
    void memoryThatFitsOneNodeOnlyForcesTwoNodes() {
        Topology twoSockets = TestTopologies.synthetic(new int[] {0, 1}, new int[] {8, 8}, false,
                new long[] {10 * GIB, 10 * GIB}, new int[][] {{10, 21}, {21, 10}});
        NumaTensorParallelConfig packing = NumaTensorParallelConfig.builder().shards(4).interNodePenalty(1.0).build();
        PlacementPlan plan = PlacementPlanner.plan(twoSockets, packing, new ModelMemory(3 * GIB, GIB));
        assertEquals(2, plan.usedNodes().size(), plan.reasons().toString());
        PlacementPlan small = PlacementPlanner.plan(twoSockets, packing, new ModelMemory(GIB, GIB));
        assertEquals(1, small.usedNodes().size());
    }

    @Test
    void weightsThatFitNowhereAreExplained() {
        Topology twoSockets = TestTopologies.synthetic(new int[] {0, 1}, new int[] {8, 8}, false,
                new long[] {10 * GIB, 10 * GIB}, new int[][] {{10, 21}, {21, 10}});
        PlanException e = assertThrows(PlanException.class, () -> PlacementPlanner.plan(twoSockets,
                NumaTensorParallelConfig.ofShards(8), new ModelMemory(4 * GIB, 0)));
        assertTrue(e.getMessage().contains("no placement of 8 shards fits in memory"), e.getMessage());
        assertTrue(e.getMessage().contains("node 1 has 10.0 GiB free (2 shards)"), e.getMessage());
        PlacementPlan remote = PlacementPlanner.plan(twoSockets,
                NumaTensorParallelConfig.builder().shards(8).preferLocalMemory(false).build(), new ModelMemory(4 * GIB, 0));
        assertFalse(remote.warnings().isEmpty());
    }

    @Test
    void manualAffinityIsHonouredExactlyAndPriced() {
        Topology twoSockets = TestTopologies.synthetic(new int[] {0, 1}, new int[] {4, 4}, false,
                new long[] {10 * GIB, 10 * GIB}, new int[][] {{10, 21}, {21, 10}});
        NumaTensorParallelConfig config = NumaTensorParallelConfig.builder().shards(4)
                .pinShard(0, 0).pinShard(1, 1).pinShard(2, 0).pinShard(3, 1).build();
        PlacementPlan plan = PlacementPlanner.plan(twoSockets, config, ModelMemory.NONE);
        int[] expected = {0, 1, 0, 1};
        for (int shard = 0; shard < 4; shard++) {
            assertEquals(expected[shard], plan.shard(shard).node());
        }
        assertTrue(plan.reasons().stream().anyMatch(r -> r.startsWith("manual --node-affinity honoured")), plan.reasons().toString());
        assertTrue(plan.warnings().stream().anyMatch(w -> w.contains("non-consecutive ranks")), plan.warnings().toString());
    }

    @Test
    void unusableNodesAreRefusedWithTheReason() {
        Topology twoSockets = TestTopologies.synthetic(new int[] {0, 2}, new int[] {4, 4}, false,
                new long[] {10 * GIB, 10 * GIB}, new int[][] {{10, 21}, {21, 10}});
        ConfigException missing = assertThrows(ConfigException.class, () -> PlacementPlanner.plan(twoSockets,
                NumaTensorParallelConfig.builder().shards(2).numaNodes(0, 1).build(), ModelMemory.NONE));
        assertEquals("--numa-nodes names node 1, which does not exist (online nodes: 0,2)", missing.getMessage());
        ConfigException affinity = assertThrows(ConfigException.class, () -> PlacementPlanner.plan(twoSockets,
                NumaTensorParallelConfig.builder().shards(1).pinShard(0, 7).build(), ModelMemory.NONE));
        assertTrue(affinity.getMessage().startsWith("--node-affinity names node 7, which does not exist"), affinity.getMessage());
    }

    @Test
    void memoryOnlyAndCgroupExcludedNodesAreRefusedOnTheCaptures() {
        Topology cgroup = TestTopologies.capture("32amd64-4s2n4c-cgroup2");
        ConfigException noCpus = assertThrows(ConfigException.class, () -> PlacementPlanner.plan(cgroup,
                NumaTensorParallelConfig.builder().shards(2).numaNodes(0, 2).build(), ModelMemory.NONE));
        assertTrue(noCpus.getMessage().contains("node 2, which has no CPUs this process may use"), noCpus.getMessage());
        // The cgroup allows CPUs 0-5 (nodes 0 and 1) and memory nodes 0-5: two shards fit node 0's four cores
        // (balance 1.5) better than one shard on each node (balance 1.5 plus the cross-node term).
        PlacementPlan plan = PlacementPlanner.plan(cgroup, NumaTensorParallelConfig.ofShards(2), ModelMemory.NONE);
        assertEquals(IdSet.of(0), IdSet.of(plan.usedNodes().stream().mapToInt(NodeBudget::id).toArray()));
        PlacementPlan spread = PlacementPlanner.plan(cgroup,
                NumaTensorParallelConfig.builder().shards(6).interNodePenalty(0).build(), ModelMemory.NONE);
        assertEquals(IdSet.of(0, 1), IdSet.of(spread.usedNodes().stream().mapToInt(NodeBudget::id).toArray()));
    }

    @Test
    void moreShardsThanCpusIsPlannedWithAnOversubscriptionWarning() {
        Topology small = TestTopologies.synthetic(new int[] {0}, new int[] {2}, false, new long[] {20 * GIB},
                new int[][] {{10}});
        PlacementPlan plan = PlacementPlanner.plan(small, NumaTensorParallelConfig.ofShards(8), ModelMemory.NONE);
        assertTrue(plan.oversubscribed());
        assertTrue(plan.warnings().get(0).startsWith("node 0 is oversubscribed 4.0x"), plan.warnings().toString());
        Set<Integer> cpus = new HashSet<>();
        plan.shards().forEach(s -> s.cpus().stream().forEach(cpus::add));
        assertEquals(Set.of(0, 1), cpus);
    }
}
