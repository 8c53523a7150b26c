package numatp.runtime.plan;

import numatp.runtime.config.ConfigException;
import numatp.runtime.config.NumaTensorParallelConfig;
import numatp.topology.IdSet;
import numatp.topology.Topology;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static numatp.runtime.plan.TestTopologies.GIB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(120)
class ReplicaPlannerTest {
    private static final long MIB = 1L << 20;
    /** Models from tiny to larger than a node: total bytes (0 = size unknown). */
    private static final long[] MODEL_BYTES = {0, MIB, 256 * MIB, 6 * GIB, 40 * GIB, 300 * GIB};

    @Test
    void oneReplicaIsExactlyThePlacementPlannersPlanOnEveryCaptureAndRandomMachine() {
        List<Topology> machines = new ArrayList<>();
        for (String name : TestTopologies.captureNames()) {
            machines.add(TestTopologies.capture(name));
        }
        long seed = 0x5EED_0018L;
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < 40; i++) {
            machines.add(TestTopologies.random(random, 8));
        }
        for (int m = 0; m < machines.size(); m++) {
            Topology topology = machines.get(m);
            for (int shards : new int[] {1, 2, 4, 8}) {
                NumaTensorParallelConfig config = NumaTensorParallelConfig.ofShards(shards);
                ModelMemory memory = ModelMemory.splitEvenly(GIB, shards);
                PlacementPlan old;
                try {
                    old = PlacementPlanner.plan(topology, config, memory);
                } catch (PlanException e) {
                    assertEquals(e.getMessage(), assertThrows(PlanException.class,
                            () -> ReplicaPlanner.plan(topology, config, memory)).getMessage());
                    continue;
                }
                ReplicaPlan plan = ReplicaPlanner.plan(topology, config, memory);
                assertEquals(old, plan.single(), "seed=" + seed + " machine " + m + " shards " + shards);
                assertNull(plan.alternative());
            }
        }
    }

    @Test
    void layoutsOnCapturesAndRandomMachinesKeepTheInvariants() {
        long seed = 0xA11_7A5L;
        SplittableRandom random = new SplittableRandom(seed);
        List<Topology> machines = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (String name : TestTopologies.captureNames()) {
            machines.add(TestTopologies.capture(name));
            names.add(name);
        }
        for (int i = 0; i < 30; i++) {
            machines.add(TestTopologies.random(random, 1 + i % 8));
            names.add("random " + i + " (seed=" + seed + ")");
        }
        int planned = 0;
        int split = 0;
        int grouped = 0;
        int acrossNodes = 0;
        for (int m = 0; m < machines.size(); m++) {
            Topology topology = machines.get(m);
            for (long bytes : MODEL_BYTES) {
                for (int concurrency : new int[] {1, 4, 16}) {
                    for (int replicas : new int[] {NumaTensorParallelConfig.AUTO_REPLICAS, 2, 3}) {
                        NumaTensorParallelConfig config = NumaTensorParallelConfig.builder().shards(2)
                                .replicas(replicas).expectedConcurrency(concurrency).build();
                        ModelProfile model = ModelProfile.of(ModelMemory.splitEvenly(bytes, 2), 2);
                        String context = names.get(m) + " model=" + bytes + " C=" + concurrency + " R=" + replicas;
                        ReplicaPlan plan;
                        try {
                            plan = ReplicaPlanner.plan(topology, config, model);
                        } catch (PlanException e) {
                            assertTrue(e.getMessage().contains("fit") || e.getMessage().contains("core"),
                                    "a refusal says what does not fit: " + context + ": " + e.getMessage());
                            continue;
                        }
                        ReplicaPlanInvariants.check(topology, config, model, plan, context);
                        assertEquals(plan, ReplicaPlanner.plan(topology, config, model), "deterministic: " + context);
                        planned++;
                        split += plan.chosen().splitsNodes() ? 1 : 0;
                        grouped += plan.replicaCount() > 1 && !plan.chosen().splitsNodes() ? 1 : 0;
                        acrossNodes += plan.chosen().nodesPerReplica() > 1 ? 1 : 0;
                    }
                }
            }
        }
        assertTrue(planned > 500, "most cases plan: " + planned);
        assertTrue(split > 50 && grouped > 50 && acrossNodes > 50, "every kind of layout is checked: " + split
                + " split nodes, " + grouped + " with node groups, " + acrossNodes + " span nodes");
    }

    @Test
    void aModelThatNoNodeHoldsIsSplitAcrossNodes() {
        Topology fourSockets = fourSockets(32, 48 * GIB);
        for (int concurrency : new int[] {1, 8, 64}) {
            NumaTensorParallelConfig config = NumaTensorParallelConfig.builder()
                    .replicas(NumaTensorParallelConfig.AUTO_REPLICAS).expectedConcurrency(concurrency).build();
            ReplicaPlan plan = ReplicaPlanner.plan(fourSockets, config, ModelMemory.splitEvenly(70 * GIB, 1));
            assertTrue(plan.chosen().nodesPerReplica() >= 2, "70 GiB over 48 GiB nodes: " + plan.reasons());
            assertTrue(plan.chosen().replicas() <= 2, plan.reasons().toString());
            assertTrue(plan.reasons().stream().anyMatch(r -> r.contains("more than any node has free")),
                    plan.reasons().toString());
        }
    }

    @Test
    void aSmallModelOnSeveralSocketsServingManyRequestsGetsOneReplicaPerNode() {
        // 16 MiB: cross-node allreduces cost more than streaming the weights, so from 2 requests on;
        // 256 MiB: streaming dominates at a small batch (two sockets' bandwidth help one engine), so
        // replicas win once a step is compute-bound (docs/planner.md has the numbers)
        long[][] cases = {{16 * MIB, 2}, {16 * MIB, 8}, {256 * MIB, 16}, {256 * MIB, 64}};
        for (int sockets : new int[] {2, 4}) {
            Topology machine = sockets == 2 ? twoSockets(32, 256 * GIB) : fourSockets(32, 256 * GIB);
            for (long[] c : cases) {
                int concurrency = (int) c[1];
                NumaTensorParallelConfig config = NumaTensorParallelConfig.builder()
                        .replicas(NumaTensorParallelConfig.AUTO_REPLICAS).expectedConcurrency(concurrency).build();
                ReplicaPlan plan = ReplicaPlanner.plan(machine, config, ModelMemory.splitEvenly(c[0], 1));
                String context = sockets + " sockets, " + c[0] / MIB + " MiB, C=" + concurrency + ": " + plan.reasons();
                assertEquals(Math.min(sockets, concurrency), plan.replicaCount(), context);
                assertEquals(1, plan.chosen().nodesPerReplica(), context);
                assertFalse(plan.chosen().splitsNodes(), context);
                assertTrue(plan.reasons().stream().anyMatch(r -> r.contains("best alternative ")), context);
            }
            ReplicaPlan alone = ReplicaPlanner.plan(machine, NumaTensorParallelConfig.builder()
                    .replicas(NumaTensorParallelConfig.AUTO_REPLICAS).expectedConcurrency(1).build(),
                    ModelMemory.splitEvenly(256 * MIB, 1));
            assertEquals(1, alone.replicaCount(), "one request: one engine over the nodes: " + alone.reasons());
            assertEquals(sockets, alone.chosen().nodesPerReplica(), alone.reasons().toString());
        }
    }

    @Test
    void twoReplicasOnOneTwoCoreNodeSplitItsCoresAndBudgetItsMemoryTwice() {
        Topology small = TestTopologies.synthetic(new int[] {0}, new int[] {2}, false, new long[] {GIB},
                new int[][] {{10}});
        NumaTensorParallelConfig config = NumaTensorParallelConfig.builder().replicas(2).shards(1).build();
        ReplicaPlan plan = ReplicaPlanner.plan(small, config, ModelMemory.splitEvenly(400 * MIB, 1));
        assertEquals(2, plan.replicaCount());
        assertEquals(IdSet.of(0), plan.replica(0).shard(0).cpus());
        assertEquals(IdSet.of(1), plan.replica(1).shard(0).cpus());
        assertTrue(plan.chosen().splitsNodes());
        assertEquals(GIB - 400 * MIB, plan.replica(1).nodes().getFirst().memFreeBytes(),
                "the second replica sees the node's memory less the first one's");
        ReplicaPlanInvariants.check(small, config, ModelProfile.of(ModelMemory.splitEvenly(400 * MIB, 1), 1), plan, "2x1");
        PlanException tooBig = assertThrows(PlanException.class,
                () -> ReplicaPlanner.plan(small, config, ModelMemory.splitEvenly(600 * MIB, 1)));
        assertTrue(tooBig.getMessage().contains("replica 1 on node 0"), tooBig.getMessage());
        PlanException tooMany = assertThrows(PlanException.class, () -> ReplicaPlanner.plan(small,
                NumaTensorParallelConfig.builder().replicas(3).build(), ModelMemory.NONE));
        assertTrue(tooMany.getMessage().contains("--replicas 3") && tooMany.getMessage().contains("only 2 allowed cores"),
                tooMany.getMessage());
    }

    @Test
    void replicasOnAMachineWithEnoughNodesGetNearNodesTogether() {
        // two sockets of two nodes each: SLIT 12 inside a socket, 32 across
        int[][] slit = {{10, 12, 32, 32}, {12, 10, 32, 32}, {32, 32, 10, 12}, {32, 32, 12, 10}};
        Topology machine = TestTopologies.synthetic(new int[] {0, 1, 2, 3}, new int[] {8, 8, 8, 8}, false,
                new long[] {16 * GIB, 16 * GIB, 16 * GIB, 16 * GIB}, slit);
        ReplicaPlan plan = ReplicaPlanner.plan(machine, NumaTensorParallelConfig.builder().replicas(2).shards(2)
                .expectedConcurrency(8).build(), ModelMemory.splitEvenly(20 * GIB, 2));
        IdSet first = IdSet.of(plan.replica(0).usedNodes().stream().mapToInt(NodeBudget::id).toArray());
        IdSet second = IdSet.of(plan.replica(1).usedNodes().stream().mapToInt(NodeBudget::id).toArray());
        assertEquals(IdSet.of(0, 1), first, plan.reasons().toString());
        assertEquals(IdSet.of(2, 3), second, plan.reasons().toString());
    }

    @Test
    void autoNeverGivesAReplicaMoreShardsThanTheModelHasHeads() {
        Topology machine = twoSockets(32, 256 * GIB);
        ModelMemory memory = ModelMemory.splitEvenly(GIB, 1);
        ModelProfile twoHeads = new ModelProfile(GIB, 16, 2048, 2, k -> ModelMemory.splitEvenly(GIB, k));
        for (int concurrency : new int[] {1, 4, 64}) {
            NumaTensorParallelConfig config = NumaTensorParallelConfig.builder()
                    .replicas(NumaTensorParallelConfig.AUTO_REPLICAS).expectedConcurrency(concurrency).build();
            assertTrue(ReplicaPlanner.plan(machine, config, memory).considered().stream()
                    .anyMatch(e -> e.shardsPerReplica() > 2), "unlimited, the planner tries more than 2 shards");
            ReplicaPlan plan = ReplicaPlanner.plan(machine, config, twoHeads);
            assertTrue(plan.shardsPerReplica() <= 2, plan.reasons().toString());
            assertTrue(plan.considered().stream().allMatch(e -> e.shardsPerReplica() <= 2));
        }
    }

    @Test
    void badValuesNameTheirFlag() {
        ConfigException replicas = assertThrows(ConfigException.class,
                () -> NumaTensorParallelConfig.builder().replicas(-1).build());
        assertTrue(replicas.getMessage().startsWith("--replicas must be auto or in [1, "), replicas.getMessage());
        ConfigException concurrency = assertThrows(ConfigException.class,
                () -> NumaTensorParallelConfig.builder().expectedConcurrency(-3).build());
        assertTrue(concurrency.getMessage().startsWith("--expected-concurrency must be in [1, "), concurrency.getMessage());
        ConfigException affinity = assertThrows(ConfigException.class,
                () -> NumaTensorParallelConfig.builder().shards(1).pinShard(0, 0).replicas(2).build());
        assertTrue(affinity.getMessage().contains("--node-affinity") && affinity.getMessage().contains("--replicas 2"),
                affinity.getMessage());
    }

    static Topology twoSockets(int cores, long memFree) {
        return TestTopologies.synthetic(new int[] {0, 1}, new int[] {cores, cores}, true,
                new long[] {memFree, memFree}, new int[][] {{10, 21}, {21, 10}});
    }

    static Topology fourSockets(int cores, long memFree) {
        int[][] slit = new int[4][4];
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 4; j++) {
                slit[i][j] = i == j ? 10 : 21;
            }
        }
        return TestTopologies.synthetic(new int[] {0, 1, 2, 3}, new int[] {cores, cores, cores, cores}, true,
                new long[] {memFree, memFree, memFree, memFree}, slit);
    }
}
