package numatp.runtime.plan;

import numatp.runtime.config.NumaTensorParallelConfig;
import numatp.topology.Topology;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * {@code --replicas auto} against every layout of its space, enumerated naively: each map of
 * candidate node → replica (R^n of them, every replica non-empty) for every shard count, and
 * every equal split of the nodes; priced with the same cost model and chosen by the same rule,
 * written out again here.
 */
@Timeout(300)
class ReplicaPlannerBruteForceTest {
    @Test
    void autoFindsTheLayoutBruteForceFindsOnSmallMachines() {
        long seed = 0xB12_7E18L;
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < 120; i++) {
            Topology topology = TestTopologies.random(random, 4);
            long bytes = switch (random.nextInt(4)) {
                case 0 -> 0;
                case 1 -> random.nextLong(1, 64) << 20;
                case 2 -> random.nextLong(1, 16) << 30;
                default -> random.nextLong(16, 160) << 30;
            };
            int concurrency = random.nextInt(1, 7);
            NumaTensorParallelConfig config = NumaTensorParallelConfig.builder()
                    .replicas(NumaTensorParallelConfig.AUTO_REPLICAS).expectedConcurrency(concurrency)
                    .interNodePenalty(random.nextInt(0, 11) / 10.0).build();
            ModelProfile model = ModelProfile.of(ModelMemory.splitEvenly(bytes, 1), 1);
            String context = "seed=" + seed + " case=" + i + " bytes=" + bytes + " C=" + concurrency;
            LayoutEstimate expected = naiveChoice(bruteForce(topology, config, model, concurrency));
            if (expected == null) {
                assertThrows(PlanException.class, () -> ReplicaPlanner.plan(topology, config, model), context);
                continue;
            }
            LayoutEstimate chosen = ReplicaPlanner.plan(topology, config, model).chosen();
            assertEquals(expected.tokensPerSecond(), chosen.tokensPerSecond(), 1e-9 * expected.tokensPerSecond(),
                    context + " expected " + expected + " got " + chosen);
            assertEquals(expected.batchOneTokensPerSecond(), chosen.batchOneTokensPerSecond(),
                    1e-9 * expected.batchOneTokensPerSecond(), context + " expected " + expected + " got " + chosen);
        }
    }

    private static List<LayoutEstimate> bruteForce(Topology topology, NumaTensorParallelConfig config, ModelProfile model,
                                                   int concurrency) {
        ReplicaPlanner.Search search = new ReplicaPlanner.Search(topology, config, model, concurrency);
        int n = search.candidates.size();
        List<LayoutEstimate> all = new ArrayList<>();
        for (int r = 1; r <= n && (r == 1 || r <= concurrency); r++) {
            int codes = (int) Math.pow(r, n);
            for (int code = 0; code < codes; code++) {
                int[] label = new int[n];
                for (int p = 0, rest = code; p < n; p++, rest /= r) {
                    label[p] = rest % r;
                }
                int[][] groups = new int[r][];
                int limit = Integer.MAX_VALUE;
                for (int g = 0; g < r && limit > 0; g++) {
                    final int group = g;
                    groups[g] = java.util.stream.IntStream.range(0, n).filter(p -> label[p] == group).toArray();
                    int cores = Arrays.stream(groups[g]).map(p -> search.cores[p]).sum();
                    limit = groups[g].length == 0 ? 0
                            : Math.min(limit, ReplicaPlanner.shardLimit(groups[g].length, cores, model));
                }
                for (int k = 1; k <= limit; k++) {
                    ReplicaPlanner.Layout layout = search.groups(groups, k);
                    if (layout != null) {
                        all.add(layout.estimate());
                    }
                }
            }
        }
        int minCores = Arrays.stream(search.cores).min().orElse(0);
        for (int s = 2; s <= minCores && n * s <= concurrency; s++) {
            int[] perNode = new int[n];
            Arrays.fill(perNode, s);
            for (int k = 1; k <= ReplicaPlanner.shardLimit(1, minCores / s, model); k++) {
                ReplicaPlanner.Layout layout = search.slices(perNode, k);
                if (layout != null) {
                    all.add(layout.estimate());
                }
            }
        }
        return all;
    }

    /** The rule as docs/planner.md states it: fastest alone among those within NEAR_TIE of the best at C. */
    private static LayoutEstimate naiveChoice(List<LayoutEstimate> all) {
        double best = all.stream().mapToDouble(LayoutEstimate::tokensPerSecond).max().orElse(0);
        LayoutEstimate chosen = null;
        for (LayoutEstimate e : all) {
            if (e.tokensPerSecond() >= best * (1 - LayoutCostModel.NEAR_TIE)
                    && (chosen == null || e.batchOneTokensPerSecond() > chosen.batchOneTokensPerSecond() * (1 + 1e-9)
                    || e.batchOneTokensPerSecond() >= chosen.batchOneTokensPerSecond() * (1 - 1e-9)
                    && e.tokensPerSecond() > chosen.tokensPerSecond() * (1 + 1e-9))) {
                chosen = e;
            }
        }
        return chosen;
    }
}
