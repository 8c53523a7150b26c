package numatp.runtime.engine;

import numatp.runtime.plan.ModelMemory;
import numatp.runtime.plan.ModelProfile;
import numatp.weights.ModelTensors;
import numatp.weights.Tensor;

/**
 * What a model will need from each node once sharded, for the planner's memory check:
 * norms and the token embedding are replicated once per node; every other matrix is
 * split over the shards; each shard adds its KV cache (its share of the KV heads, at
 * least one head, times slots, positions and layers, keys and values in f32).
 */
public final class ModelFootprint {
    private ModelFootprint() {
    }

    public static ModelMemory of(ModelTensors model, int shards, int slots, int slotPositions) {
        long replicated = 0;
        long split = 0;
        for (Tensor t : model.tensors().values()) {
            long bytes = t.data().byteSize();
            if (isReplicated(t.name())) {
                replicated += bytes;
            } else {
                split += bytes;
            }
        }
        ModelTensors.Hyperparameters hp = model.hp();
        int headSize = hp.dim() / hp.heads();
        long kvHeadsPerShard = Math.max(1, Math.ceilDiv(hp.kvHeads(), shards));
        long kvBytes = 2L * 4 * hp.layers() * kvHeadsPerShard * headSize * slots * (long) slotPositions;
        return new ModelMemory(Math.ceilDiv(split, shards) + kvBytes, replicated);
    }

    /**
     * What the layout planner needs of a loaded model: its tensor bytes, layers, width and query
     * heads (the most shards), and
     * {@link #of} for any shard count (each replica with {@code slots} KV slots of
     * {@code slotPositions} positions).
     */
    public static ModelProfile profile(ModelTensors model, int slots, int slotPositions) {
        return new ModelProfile(tensorBytes(model), model.hp().layers(), model.hp().dim(), model.hp().heads(),
                shards -> of(model, shards, slots, slotPositions));
    }

    /** Bytes of the tensors every node holds a copy of (the token embedding and the norms). */
    public static long replicatedBytes(ModelTensors model) {
        long bytes = 0;
        for (Tensor t : model.tensors().values()) {
            if (isReplicated(t.name())) {
                bytes += t.data().byteSize();
            }
        }
        return bytes;
    }

    /** Bytes of every tensor of {@code model}. */
    public static long tensorBytes(ModelTensors model) {
        long bytes = 0;
        for (Tensor t : model.tensors().values()) {
            bytes += t.data().byteSize();
        }
        return bytes;
    }

    static boolean isReplicated(String name) {
        return name.equals("token_embd.weight") || name.endsWith("_norm.weight");
    }
}
