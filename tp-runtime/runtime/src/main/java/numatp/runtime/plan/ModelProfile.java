package numatp.runtime.plan;

import numatp.runtime.config.ConfigException;
import numatp.runtime.config.NumaTensorParallelConfig;

import java.util.function.IntFunction;

/**
 * What the layout planner ({@link ReplicaPlanner}) needs to know about a model: the weight
 * bytes a decode step streams, its depth and width (how many allreduces a token costs and
 * how big they are), and its memory needs for any shard count (a layout may use a shard
 * count other than {@code --shards}).
 *
 * @param weightBytes      bytes of all weights; 0 when unknown (the cost model then assumes
 *                         {@link LayoutCostModel#ASSUMED_MODEL_BYTES})
 * @param layers           transformer layers (two allreduces each), >= 1
 * @param hiddenSize       width of the activations an allreduce sums, >= 1
 * @param maxShards        the most shards one engine of this model can have (its query heads);
 *                         {@code --replicas auto} tries no more
 * @param memoryForShards  per-node memory needs when one engine has that many shards
 */
public record ModelProfile(long weightBytes, int layers, int hiddenSize, int maxShards,
                           IntFunction<ModelMemory> memoryForShards) {
    public ModelProfile {
        if (weightBytes < 0 || layers < 1 || hiddenSize < 1 || maxShards < 1 || memoryForShards == null) {
            throw new ConfigException("model profile needs weightBytes >= 0, layers >= 1, hiddenSize >= 1, maxShards >= 1"
                    + " and a memory function: weightBytes=" + weightBytes + ", layers=" + layers + ", hiddenSize="
                    + hiddenSize + ", maxShards=" + maxShards);
        }
    }

    /**
     * The profile of a model known only by {@code memory} at {@code shards} shards (as
     * {@code tp plan --model-bytes} knows it): its split bytes are re-divided for other shard
     * counts, the replicated bytes stay per node, and depth and width are estimated from the
     * size ({@link LayoutCostModel#estimatedLayers}, {@link LayoutCostModel#estimatedHiddenSize}); the
     * shard count is not limited by heads.
     */
    public static ModelProfile of(ModelMemory memory, int shards) {
        long split = Math.multiplyExact(memory.perShardBytes(), (long) shards);
        long total = Math.addExact(split, memory.replicatedPerNodeBytes());
        long replicated = memory.replicatedPerNodeBytes();
        int layers = LayoutCostModel.estimatedLayers(total);
        return new ModelProfile(total, layers, LayoutCostModel.estimatedHiddenSize(total, layers),
                NumaTensorParallelConfig.MAX_SHARDS, k -> k == shards ? memory : new ModelMemory(Math.ceilDiv(split, k), replicated));
    }

    /** Whether the size is known (not {@link ModelMemory#NONE}-like). */
    public boolean sizeKnown() {
        return weightBytes > 0;
    }
}
