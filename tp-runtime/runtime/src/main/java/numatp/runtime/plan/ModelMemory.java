package numatp.runtime.plan;

import numatp.runtime.config.ConfigException;

/**
 * What a model needs from each node's memory.
 *
 * @param perShardBytes          one shard's slice of the weights plus its KV cache
 * @param replicatedPerNodeBytes tensors every node holds once (embeddings, norms), shared
 *                               by the shards of that node
 */
public record ModelMemory(long perShardBytes, long replicatedPerNodeBytes) {
    public static final ModelMemory NONE = new ModelMemory(0, 0);

    public ModelMemory {
        if (perShardBytes < 0 || replicatedPerNodeBytes < 0) {
            throw new ConfigException("model memory must be >= 0: perShardBytes=" + perShardBytes
                    + ", replicatedPerNodeBytes=" + replicatedPerNodeBytes);
        }
    }

    /** A model of {@code totalBytes} split evenly over {@code shards} (as {@code --model-bytes} assumes). */
    public static ModelMemory splitEvenly(long totalBytes, int shards) {
        return new ModelMemory(Math.ceilDiv(totalBytes, shards), 0);
    }

    /** Bytes a node needs for {@code shardsOnNode} shards (0 when it hosts none). */
    public long nodeBytes(int shardsOnNode) {
        if (shardsOnNode == 0) {
            return 0;
        }
        return Math.addExact(Math.multiplyExact(perShardBytes, (long) shardsOnNode), replicatedPerNodeBytes);
    }
}
