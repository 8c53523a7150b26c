package numatp.runtime.plan;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The planner's search against every shard → node assignment, on small random problems. */
class CountSearchBruteForceTest {
    @Test
    void searchFindsTheMinimumCostOverAllAssignments() {
        long seed = 0xB2F7_0C3L;
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < 400; i++) {
            PlacementProblem problem = randomProblem(random);
            String context = "seed=" + seed + " case=" + i;
            double brute = bruteForceMinimum(problem);
            int[] best = CountSearch.best(problem);
            if (brute == Double.POSITIVE_INFINITY) {
                assertNull(best, "nothing fits, so no plan: " + context);
                continue;
            }
            assertNotNull(best, "a placement fits: " + context);
            assertEquals(brute, problem.cost(best).total(), PlacementCost.TIE, context);
        }
    }

    private static PlacementProblem randomProblem(SplittableRandom random) {
        int n = random.nextInt(1, 5);
        int shards = random.nextInt(1, 9);
        int[] ids = new int[n];
        int[] cores = new int[n];
        long[] free = new long[n];
        int[][] slit = new int[n][n];
        for (int i = 0; i < n; i++) {
            ids[i] = i * 2;
            cores[i] = random.nextInt(1, 9);
            free[i] = random.nextLong(0, 40);
            slit[i][i] = 10;
            for (int j = 0; j < i; j++) {
                slit[i][j] = slit[j][i] = random.nextInt(11, 41);
            }
        }
        ModelMemory memory = random.nextInt(3) == 0 ? ModelMemory.NONE
                : new ModelMemory(random.nextLong(1, 10), random.nextLong(0, 6));
        return new PlacementProblem(ids, cores, free, slit, shards, random.nextInt(0, 11) / 10.0,
                random.nextInt(4) != 0, memory);
    }

    /** Tries all n^shards maps of shard → node. */
    private static double bruteForceMinimum(PlacementProblem problem) {
        int n = problem.size();
        int total = (int) Math.pow(n, problem.shards);
        double best = Double.POSITIVE_INFINITY;
        int[] counts = new int[n];
        for (int code = 0; code < total; code++) {
            java.util.Arrays.fill(counts, 0);
            int rest = code;
            for (int s = 0; s < problem.shards; s++) {
                counts[rest % n]++;
                rest /= n;
            }
            best = Math.min(best, problem.cost(counts).total());
        }
        return best;
    }
}
