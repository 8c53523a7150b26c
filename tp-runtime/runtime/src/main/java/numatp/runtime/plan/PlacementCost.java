package numatp.runtime.plan;

/**
 * The planner's cost of one assignment of shard counts to nodes.
 *
 * <pre>
 *   balance   = max over used nodes of (shards / cores)  ÷  (shards / cores of all candidates)
 *   crossNode = (nodes used − 1) + spread
 *   spread    = mean over pairs of used nodes of (SLIT − 10) / (largest candidate SLIT − 9)   (in [0, 1))
 *   total     = (1 − penalty) · balance + penalty · crossNode
 * </pre>
 *
 * {@code balance} is 1 when the busiest node's cores carry exactly their fair share of
 * shards, 2 when they carry twice that. {@code crossNode} grows by one per extra node
 * used, plus less than one for how far apart the used nodes are; because the node count
 * dominates it, raising the penalty never increases the number of nodes used.
 *
 * @param balance   compute balance term (>= 1 when every candidate node could be used)
 * @param crossNode cross-node term
 * @param total     the weighted sum; {@link Double#POSITIVE_INFINITY} when memory does not fit
 */
public record PlacementCost(double balance, double crossNode, double total) {
    /** Costs closer than this are ties (broken by fewer nodes, then lower node positions). */
    public static final double TIE = 1e-9;

    public static PlacementCost of(double balance, double crossNode, double penalty) {
        return new PlacementCost(balance, crossNode, (1 - penalty) * balance + penalty * crossNode);
    }

    public static final PlacementCost INFEASIBLE =
            new PlacementCost(Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY);

    public boolean feasible() {
        return total != Double.POSITIVE_INFINITY;
    }
}
