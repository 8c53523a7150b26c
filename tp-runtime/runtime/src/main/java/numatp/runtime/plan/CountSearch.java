package numatp.runtime.plan;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Finds the cheapest shard counts per candidate node.
 *
 * <p>For a fixed set of used nodes the cross-node term is fixed, so only the balance
 * term varies, and it is minimised by water-filling: every used node gets one shard,
 * then each further shard goes where (shards + 1) / cores is smallest, within the
 * node's memory capacity. Sets of nodes are enumerated exhaustively up to
 * {@link #EXHAUSTIVE_NODES} candidates; beyond that, from every node the set grows by
 * nearest node (SLIT), which covers the sets a penalty would choose.
 *
 * <p>Ties (within {@link PlacementCost#TIE}) go to fewer nodes, then lower node positions.
 */
final class CountSearch {
    static final int EXHAUSTIVE_NODES = 12;

    private CountSearch() {
    }

    /** The best counts, or null when no set of nodes can hold the shards. */
    static int[] best(PlacementProblem problem) {
        int[] best = null;
        for (int[] counts : bestByNodeCount(problem)) {
            if (counts != null && (best == null || better(problem.cost(counts), counts, problem.cost(best), best))) {
                best = counts;
            }
        }
        return best;
    }

    /** Index k: the best feasible counts using exactly k nodes, or null; index 0 is unused. */
    static int[][] bestByNodeCount(PlacementProblem problem) {
        int[][] best = new int[problem.size() + 1][];
        for (int[] members : candidateSets(problem)) {
            int[] counts = waterFill(problem, members);
            if (counts == null) {
                continue;
            }
            PlacementCost cost = problem.cost(counts);
            int k = members.length;
            if (cost.feasible() && (best[k] == null || better(cost, counts, problem.cost(best[k]), best[k]))) {
                best[k] = counts;
            }
        }
        return best;
    }

    static boolean better(PlacementCost cost, int[] counts, PlacementCost incumbent, int[] incumbentCounts) {
        if (!cost.feasible()) {
            return false;
        }
        if (!incumbent.feasible() || cost.total() < incumbent.total() - PlacementCost.TIE) {
            return true;
        }
        if (cost.total() > incumbent.total() + PlacementCost.TIE) {
            return false;
        }
        int used = usedCount(counts);
        int incumbentUsed = usedCount(incumbentCounts);
        if (used != incumbentUsed) {
            return used < incumbentUsed;
        }
        for (int i = 0; i < counts.length; i++) {
            boolean mine = counts[i] > 0;
            boolean theirs = incumbentCounts[i] > 0;
            if (mine != theirs) {
                return mine;
            }
        }
        return Arrays.compare(counts, incumbentCounts) > 0;
    }

    static int usedCount(int[] counts) {
        int used = 0;
        for (int c : counts) {
            used += c > 0 ? 1 : 0;
        }
        return used;
    }

    /** Minimum-balance counts over exactly {@code members}, each getting at least one shard; null if impossible. */
    static int[] waterFill(PlacementProblem problem, int[] members) {
        if (members.length > problem.shards) {
            return null;
        }
        int[] counts = new int[problem.size()];
        for (int m : members) {
            if (problem.capacity(m) < 1) {
                return null;
            }
            counts[m] = 1;
        }
        for (int placed = members.length; placed < problem.shards; placed++) {
            int chosen = -1;
            for (int m : members) {
                if (counts[m] >= problem.capacity(m)) {
                    continue;
                }
                // (counts[m] + 1) / cores[m] < (counts[chosen] + 1) / cores[chosen], exactly
                if (chosen < 0 || (long) (counts[m] + 1) * problem.cores[chosen]
                        < (long) (counts[chosen] + 1) * problem.cores[m]) {
                    chosen = m;
                }
            }
            if (chosen < 0) {
                return null;
            }
            counts[chosen]++;
        }
        return counts;
    }

    private static List<int[]> candidateSets(PlacementProblem problem) {
        int n = problem.size();
        List<int[]> sets = new ArrayList<>();
        if (n <= EXHAUSTIVE_NODES) {
            for (int mask = 1; mask < (1 << n); mask++) {
                if (Integer.bitCount(mask) <= problem.shards) {
                    sets.add(members(mask, n));
                }
            }
            return sets;
        }
        for (int start = 0; start < n; start++) {
            boolean[] in = new boolean[n];
            in[start] = true;
            int size = 1;
            sets.add(new int[] {start});
            while (size < Math.min(n, problem.shards)) {
                int nearest = -1;
                long nearestScore = Long.MAX_VALUE;
                for (int cand = 0; cand < n; cand++) {
                    if (in[cand]) {
                        continue;
                    }
                    long score = 0;
                    for (int m = 0; m < n; m++) {
                        if (in[m]) {
                            score += problem.distances[m][cand];
                        }
                    }
                    if (score < nearestScore) {
                        nearestScore = score;
                        nearest = cand;
                    }
                }
                in[nearest] = true;
                size++;
                int[] members = new int[size];
                for (int i = 0, k = 0; i < n; i++) {
                    if (in[i]) {
                        members[k++] = i;
                    }
                }
                sets.add(members);
            }
        }
        return sets;
    }

    private static int[] members(int mask, int n) {
        int[] members = new int[Integer.bitCount(mask)];
        for (int i = 0, k = 0; i < n; i++) {
            if ((mask & (1 << i)) != 0) {
                members[k++] = i;
            }
        }
        return members;
    }
}
