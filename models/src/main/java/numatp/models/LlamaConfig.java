package numatp.models;

import numatp.weights.ModelTensors;

/**
 * Shape of a Llama-family model. {@code heads} query heads of {@code headSize()}
 * share {@code kvHeads} key/value heads (grouped-query attention, {@code kvMul()}
 * query heads per KV head).
 */
public record LlamaConfig(int dim, int hiddenDim, int layers, int heads, int kvHeads, int vocabSize,
                          int contextLength, float ropeTheta, float normEps) {
    public LlamaConfig {
        if (dim <= 0 || hiddenDim <= 0 || layers <= 0 || heads <= 0 || kvHeads <= 0 || vocabSize <= 0
                || contextLength <= 0) {
            throw new ModelException("model sizes must be positive: " + this);
        }
        if (dim % heads != 0 || (dim / heads) % 2 != 0) {
            throw new ModelException("dim " + dim + " must be heads (" + heads + ") times an even head size");
        }
        if (heads % kvHeads != 0) {
            throw new ModelException("heads " + heads + " must be a multiple of kv heads " + kvHeads);
        }
    }

    public static LlamaConfig of(ModelTensors.Hyperparameters hp) {
        return new LlamaConfig(hp.dim(), hp.hiddenDim(), hp.layers(), hp.heads(), hp.kvHeads(), hp.vocabSize(),
                hp.contextLength(), hp.ropeTheta(), hp.normEps());
    }

    public int headSize() {
        return dim / heads;
    }

    public int kvDim() {
        return kvHeads * headSize();
    }

    /** Query heads per KV head. */
    public int kvMul() {
        return heads / kvHeads;
    }
}
