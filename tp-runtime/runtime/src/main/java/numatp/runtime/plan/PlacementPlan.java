package numatp.runtime.plan;

import numatp.runtime.config.NumaTensorParallelConfig;

import java.util.List;

/**
 * The planner's answer: which shard runs on which node and CPUs, what each node must
 * hold, and why. Shard ranks on one node are consecutive (so the intra-node ring is
 * made of neighbours) unless a manual affinity says otherwise.
 *
 * @param config                the configuration it was made for
 * @param shards                one entry per shard, by rank
 * @param nodes                 the candidate nodes, in collective order (near nodes adjacent);
 *                              nodes without shards last
 * @param interNodeTrafficShare estimated share of allreduce bytes that cross nodes
 * @param cost                  the planner's cost of this placement (lower is better)
 * @param oversubscribed        some CPUs run more than one shard thread
 * @param reasons               each decision, in words
 * @param warnings              what the user should know before running it
 */
public record PlacementPlan(NumaTensorParallelConfig config,
                            List<ShardPlacement> shards,
                            List<NodeBudget> nodes,
                            double interNodeTrafficShare,
                            PlacementCost cost,
                            boolean oversubscribed,
                            List<String> reasons,
                            List<String> warnings) {
    public PlacementPlan {
        shards = List.copyOf(shards);
        nodes = List.copyOf(nodes);
        reasons = List.copyOf(reasons);
        warnings = List.copyOf(warnings);
    }

    /** Nodes that host at least one shard, in collective order. */
    public List<NodeBudget> usedNodes() {
        return nodes.stream().filter(n -> !n.shards().isEmpty()).toList();
    }

    public ShardPlacement shard(int rank) {
        return shards.get(rank);
    }

    /** Node of each rank, by rank (what a communicator needs). */
    public int[] nodeOfRank() {
        return shards.stream().mapToInt(ShardPlacement::node).toArray();
    }
}
