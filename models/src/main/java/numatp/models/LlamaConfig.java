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
        if (!(ropeTheta > 0 && ropeTheta < Float.POSITIVE_INFINITY)) {
            throw new ModelException("RoPE theta must be finite and positive: " + ropeTheta);
        }
        if (!(normEps > 0 && normEps < 1)) {
            throw new ModelException("RMS norm epsilon must be in (0, 1): " + normEps);
        }
    }

    /**
     * Checks that every id of {@code tokens} is a row of the token embedding, [0, vocabSize):
     * for ids that arrive from outside the tokenizer (a request's prompt ids, a stop list).
     * {@code what} names them in the message: {@code "prompt token"}.
     */
    public void checkTokenIds(int[] tokens, String what) {
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] < 0 || tokens[i] >= vocabSize) {
                throw new ModelException(what + " " + i + " is " + tokens[i] + ", outside the model's vocabulary [0, "
                        + vocabSize + ")");
            }
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
