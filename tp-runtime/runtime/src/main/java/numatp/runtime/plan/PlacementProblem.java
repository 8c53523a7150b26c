package numatp.runtime.plan;

/**
 * The planner's search space, reduced to numbers: the candidate nodes with their cores,
 * free memory and distances, the shard count and the model's memory needs. An
 * assignment is a count of shards per candidate (by position); {@link #cost(int[])}
 * prices it as {@link PlacementCost} documents.
 */
final class PlacementProblem {
    final int[] nodeIds;
    final int[] cores;
    final long[] memFreeBytes;
    final int[][] distances;
    final int shards;
    final double penalty;
    final boolean preferLocalMemory;
    final ModelMemory memory;
    private final int totalCores;
    private final int maxDistance;

    PlacementProblem(int[] nodeIds, int[] cores, long[] memFreeBytes, int[][] distances, int shards,
                     double penalty, boolean preferLocalMemory, ModelMemory memory) {
        this.nodeIds = nodeIds.clone();
        this.cores = cores.clone();
        this.memFreeBytes = memFreeBytes.clone();
        this.distances = distances;
        this.shards = shards;
        this.penalty = penalty;
        this.preferLocalMemory = preferLocalMemory;
        this.memory = memory;
        int total = 0;
        int max = 10;
        for (int i = 0; i < nodeIds.length; i++) {
            total += cores[i];
            for (int j = 0; j < nodeIds.length; j++) {
                max = Math.max(max, distances[i][j]);
            }
        }
        this.totalCores = total;
        this.maxDistance = max;
    }

    int size() {
        return nodeIds.length;
    }

    /** How many shards candidate {@code i} can hold in its free memory (all of them when memory is not local). */
    int capacity(int i) {
        if (!preferLocalMemory) {
            return shards;
        }
        long room = memFreeBytes[i] - memory.replicatedPerNodeBytes();
        if (room < 0) {
            return 0;
        }
        if (memory.perShardBytes() == 0) {
            return shards;
        }
        return (int) Math.min(shards, room / memory.perShardBytes());
    }

    PlacementCost cost(int[] counts) {
        int used = 0;
        int sum = 0;
        double busiest = 0;
        for (int i = 0; i < counts.length; i++) {
            if (counts[i] == 0) {
                continue;
            }
            if (counts[i] > capacity(i)) {
                return PlacementCost.INFEASIBLE;
            }
            used++;
            sum += counts[i];
            busiest = Math.max(busiest, (double) counts[i] / cores[i]);
        }
        if (sum != shards) {
            throw new IllegalArgumentException("counts must add up to " + shards + " shards");
        }
        double balance = busiest / ((double) shards / totalCores);
        double crossNode = used - 1 + spread(counts);
        return PlacementCost.of(balance, crossNode, penalty);
    }

    /** Mean normalised SLIT distance over pairs of used candidates, in [0, 1). */
    double spread(int[] counts) {
        double total = 0;
        int pairs = 0;
        for (int i = 0; i < counts.length; i++) {
            for (int j = i + 1; j < counts.length; j++) {
                if (counts[i] > 0 && counts[j] > 0) {
                    total += (double) Math.max(0, distances[i][j] - 10) / (maxDistance - 9);
                    pairs++;
                }
            }
        }
        return pairs == 0 ? 0 : total / pairs;
    }

    /**
     * Estimated share of allreduce bytes crossing nodes with the hierarchical algorithm:
     * per node, a ring among its k ranks moves 2(k−1)·N bytes locally, and the node's
     * slices move 2(U−1)/U·N bytes to the other U−1 used nodes.
     */
    double interNodeTrafficShare(int[] counts) {
        int used = 0;
        for (int c : counts) {
            used += c > 0 ? 1 : 0;
        }
        double local = 0;
        double cross = 0;
        for (int c : counts) {
            if (c > 0) {
                local += 2.0 * (c - 1);
                cross += used > 1 ? 2.0 * (used - 1) / used : 0;
            }
        }
        return local + cross == 0 ? 0 : cross / (local + cross);
    }
}
