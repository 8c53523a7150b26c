package numatp.runtime.plan;

import numatp.runtime.config.NumaTensorParallelConfig;

import java.util.List;

/**
 * The layout planner's answer: R replicas (independent engines serving one model), each
 * with its own {@link PlacementPlan} of K shards. Replicas never share a node's CPUs: each
 * has its own nodes, or, when there are fewer nodes than replicas, its own CPUs of a node
 * whose memory is then budgeted for all the replicas on it. Within a replica, ranks are
 * 0..K-1 and a node's shards have consecutive ranks, as in any plan.
 *
 * @param config      the configuration asked for ({@code replicas} may be {@code auto})
 * @param replicas    one plan per replica, in replica order; each plan's config has
 *                    {@code replicas = 1}, the replica's shards and its nodes
 * @param chosen      the layout of {@code replicas}, with its estimated speed
 * @param alternative with {@code auto}: the best layout on the other side of the question (one
 *                    engine when replicas were chosen, replicas when one engine was), else
 *                    the best of another shape; null when there was none that fits or the
 *                    layout was fixed
 * @param considered  every layout priced, best first (only the chosen one when the layout was fixed)
 * @param reasons     each decision, in words, naming the numbers behind it
 * @param warnings    what the user should know before running it
 */
public record ReplicaPlan(NumaTensorParallelConfig config,
                          List<PlacementPlan> replicas,
                          LayoutEstimate chosen,
                          LayoutEstimate alternative,
                          List<LayoutEstimate> considered,
                          List<String> reasons,
                          List<String> warnings) {
    public ReplicaPlan {
        replicas = List.copyOf(replicas);
        considered = List.copyOf(considered);
        reasons = List.copyOf(reasons);
        warnings = List.copyOf(warnings);
        if (replicas.isEmpty()) {
            throw new IllegalArgumentException("a replica plan needs at least one replica");
        }
    }

    public int replicaCount() {
        return replicas.size();
    }

    /** Shards of each replica (all replicas have the same count). */
    public int shardsPerReplica() {
        return replicas.getFirst().shards().size();
    }

    public PlacementPlan replica(int index) {
        return replicas.get(index);
    }

    /** The single plan when there is one replica (the plan {@link PlacementPlanner} gives for the config). */
    public PlacementPlan single() {
        if (replicas.size() != 1) {
            throw new IllegalStateException("the plan has " + replicas.size() + " replicas");
        }
        return replicas.getFirst();
    }
}
