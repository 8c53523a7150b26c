package numatp.runtime.plan;

import java.util.Collection;
import java.util.Locale;

/**
 * One layout the planner priced: R replicas of K shards, and what {@link LayoutCostModel}
 * expects of it.
 *
 * @param replicas             engines serving the model
 * @param shardsPerReplica     tensor-parallel shards of each engine
 * @param nodesPerReplica      the most nodes one replica's shards use
 * @param splitsNodes          replicas share a node, each on its own CPUs of it
 * @param concurrency          the concurrent sequences the layout was priced for
 * @param tokensPerSecond      estimated aggregate decode tokens/s at {@code concurrency}
 * @param batchOneTokensPerSecond estimated tokens/s of one sequence alone (its latency)
 * @param busyTokensPerSecond  estimated aggregate tokens/s at {@link #BUSY_FACTOR} times the
 *                             concurrency (headroom; breaks exact ties only)
 */
public record LayoutEstimate(int replicas, int shardsPerReplica, int nodesPerReplica, boolean splitsNodes,
                             int concurrency, double tokensPerSecond, double batchOneTokensPerSecond,
                             double busyTokensPerSecond) {
    /** How much busier than expected {@link #busyTokensPerSecond} assumes the server is. */
    public static final int BUSY_FACTOR = 4;

    /** "2 replicas x 1 shard (1 node each)" */
    public String describe() {
        return String.format(Locale.ROOT, "%d replica%s x %d shard%s (%s)", replicas, replicas == 1 ? "" : "s",
                shardsPerReplica, shardsPerReplica == 1 ? "" : "s",
                splitsNodes ? "sharing nodes, own CPUs each"
                        : nodesPerReplica + (nodesPerReplica == 1 ? " node" : " nodes") + (replicas == 1 ? "" : " each"));
    }

    /** "2 replicas x 1 shard (1 node each): ~1234 tok/s at concurrency 8, ~300 tok/s for one sequence" */
    public String describeWithSpeed() {
        return String.format(Locale.ROOT, "%s: ~%.0f tok/s at concurrency %d, ~%.0f tok/s for one sequence",
                describe(), tokensPerSecond, concurrency, batchOneTokensPerSecond);
    }

    /**
     * The planner's choice among {@code layouts}: the fastest for one sequence among those within
     * {@link LayoutCostModel#NEAR_TIE} of the best tokens/s at the expected concurrency (ties:
     * {@link #betterThan}); null for an empty list.
     */
    static LayoutEstimate choose(Collection<LayoutEstimate> layouts) {
        double best = 0;
        for (LayoutEstimate e : layouts) {
            best = Math.max(best, e.tokensPerSecond);
        }
        LayoutEstimate chosen = null;
        for (LayoutEstimate e : layouts) {
            if (e.tokensPerSecond < best * (1 - LayoutCostModel.NEAR_TIE)) {
                continue;
            }
            if (chosen == null || e.fasterAloneThan(chosen)) {
                chosen = e;
            }
        }
        return chosen;
    }

    /** More tokens/s for one sequence, then more at the expected concurrency, then fewer replicas and shards. */
    boolean fasterAloneThan(LayoutEstimate other) {
        double alone = Math.max(1e-300, Math.max(batchOneTokensPerSecond, other.batchOneTokensPerSecond));
        if (Math.abs(batchOneTokensPerSecond - other.batchOneTokensPerSecond) > LayoutCostModel.TIE * alone) {
            return batchOneTokensPerSecond > other.batchOneTokensPerSecond;
        }
        return betterThan(other);
    }

    /**
     * Whether this layout is better than {@code other}: more tokens/s, then faster alone, then
     * more tokens/s when {@link #BUSY_FACTOR} times busier, then fewer replicas and shards.
     */
    boolean betterThan(LayoutEstimate other) {
        if (other == null) {
            return true;
        }
        double scale = Math.max(1e-300, Math.max(tokensPerSecond, other.tokensPerSecond));
        if (Math.abs(tokensPerSecond - other.tokensPerSecond) > LayoutCostModel.TIE * scale) {
            return tokensPerSecond > other.tokensPerSecond;
        }
        double alone = Math.max(1e-300, Math.max(batchOneTokensPerSecond, other.batchOneTokensPerSecond));
        if (Math.abs(batchOneTokensPerSecond - other.batchOneTokensPerSecond) > LayoutCostModel.TIE * alone) {
            return batchOneTokensPerSecond > other.batchOneTokensPerSecond;
        }
        double busy = Math.max(1e-300, Math.max(busyTokensPerSecond, other.busyTokensPerSecond));
        if (Math.abs(busyTokensPerSecond - other.busyTokensPerSecond) > LayoutCostModel.TIE * busy) {
            return busyTokensPerSecond > other.busyTokensPerSecond;
        }
        if (replicas != other.replicas) {
            return replicas < other.replicas;
        }
        return shardsPerReplica < other.shardsPerReplica;
    }
}
