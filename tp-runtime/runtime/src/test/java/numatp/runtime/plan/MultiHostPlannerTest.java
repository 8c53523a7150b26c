package numatp.runtime.plan;

import numatp.runtime.config.NumaTensorParallelConfig;
import numatp.topology.Topology;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Shards over several hosts: consecutive ranks per host, shares by cores, each host planned as one. */
class MultiHostPlannerTest {
    @Test
    void sharesAreProportionalAtLeastOneAndAddUp() {
        long seed = new SplittableRandom().nextLong();
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int trial = 0; trial < 5000; trial++) {
            int hosts = 1 + rnd.nextInt(8);
            int total = hosts + rnd.nextInt(64);
            int[] weights = new int[hosts];
            long sum = 0;
            for (int i = 0; i < hosts; i++) {
                weights[i] = 1 + rnd.nextInt(256);
                sum += weights[i];
            }
            int[] shares = MultiHostPlanner.shares(total, weights);
            int given = 0;
            for (int i = 0; i < hosts; i++) {
                assertTrue(shares[i] >= 1, "seed " + seed);
                // one each, then the rest in proportion: within one of the exact share of the rest
                double exact = 1 + (double) (total - hosts) * weights[i] / sum;
                assertTrue(Math.abs(shares[i] - exact) < 1, "seed " + seed + " host " + i + ": " + shares[i] + " vs "
                        + exact);
                given += shares[i];
            }
            assertEquals(total, given, "seed " + seed);
        }
        assertArrayEquals(new int[] {4, 4}, MultiHostPlanner.shares(8, new int[] {16, 16}));
        assertArrayEquals(new int[] {5, 3}, MultiHostPlanner.shares(8, new int[] {32, 16})); // 1+4.0, 1+2.0
        assertArrayEquals(new int[] {2, 1, 1}, MultiHostPlanner.shares(4, new int[] {8, 8, 8})); // tie: earlier host
    }

    @Test
    void everyHostIsPlannedWithConsecutiveRanks() {
        long seed = new SplittableRandom().nextLong();
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int trial = 0; trial < 40; trial++) {
            int hosts = 1 + rnd.nextInt(4);
            List<Topology> machines = new ArrayList<>();
            List<String> names = new ArrayList<>();
            for (int h = 0; h < hosts; h++) {
                machines.add(TestTopologies.random(rnd, 4));
                names.add("host-" + h);
            }
            int shards = hosts + rnd.nextInt(8);
            MultiHostPlan plan = MultiHostPlanner.plan(machines, names,
                    NumaTensorParallelConfig.builder().shards(shards).build(), ModelMemory.NONE);
            assertEquals(shards, plan.shards(), "seed " + seed);
            int next = 0;
            for (MultiHostPlan.HostPlan h : plan.hosts()) {
                assertEquals(next, h.firstRank(), "seed " + seed);
                assertTrue(h.shards() >= 1, "seed " + seed);
                next += h.shards();
            }
        }
    }

    @Test
    void refusalsNameTheHost() {
        Topology small = TestTopologies.synthetic(new int[] {0, 1}, new int[] {4, 4}, false,
                new long[] {4 * TestTopologies.GIB, 4 * TestTopologies.GIB}, new int[][] {{10, 21}, {21, 10}});
        Topology big = TestTopologies.synthetic(new int[] {0, 1}, new int[] {4, 4}, false,
                new long[] {64 * TestTopologies.GIB, 64 * TestTopologies.GIB}, new int[][] {{10, 21}, {21, 10}});
        NumaTensorParallelConfig four = NumaTensorParallelConfig.builder().shards(4).build();
        PlanException e = assertThrows(PlanException.class, () -> MultiHostPlanner.plan(List.of(big, small),
                List.of("a.tar.gz", "b.tar.gz"), four, ModelMemory.splitEvenly(40 * TestTopologies.GIB, 4)));
        assertTrue(e.getMessage().startsWith("host 1 (b.tar.gz), ranks 2-3: no placement of 2 shards fits in memory"),
                e.getMessage());
        PlanException tooFew = assertThrows(PlanException.class, () -> MultiHostPlanner.plan(List.of(big, small),
                List.of("a", "b"), NumaTensorParallelConfig.builder().shards(1).build(), ModelMemory.NONE));
        assertTrue(tooFew.getMessage().contains("every host needs at least one shard"), tooFew.getMessage());
        PlanException affinity = assertThrows(PlanException.class, () -> MultiHostPlanner.plan(List.of(big, small),
                List.of("a", "b"), NumaTensorParallelConfig.builder().shards(2).pinShard(0, 0).pinShard(1, 1).build(),
                ModelMemory.NONE));
        assertTrue(affinity.getMessage().contains("--node-affinity"), affinity.getMessage());
    }
}
