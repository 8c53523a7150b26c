package numatp.models;

import numatp.weights.ModelTensors;

/**
 * Shape of a Llama-family model. {@code heads} query heads of {@code headSize} share
 * {@code kvHeads} key/value heads (grouped-query attention, {@code kvMul()} query heads
 * per KV head). The query width {@code heads * headSize} may differ from {@code dim}
 * (Qwen3: 8 heads of 64 on a 256-wide model). {@code rope} says which elements of a head
 * RoPE rotates together; it follows the architecture, not the file.
 */
public record LlamaConfig(int dim, int hiddenDim, int layers, int heads, int kvHeads, int vocabSize,
                          int contextLength, float ropeTheta, float normEps, int headSize, RopeLayout rope) {
    /** Which elements of a head RoPE rotates as one pair. */
    public enum RopeLayout {
        /** (2i, 2i + 1): llama2.c, llama.cpp's "norm" RoPE (llama, Mistral; GGUF permutes HF's Q/K rows). */
        ADJACENT_PAIRS,
        /** (i, i + headSize / 2): llama.cpp's "neox" RoPE, HF's rotate-half (qwen2, qwen3). */
        HALVES
    }

    public LlamaConfig {
        if (dim <= 0 || hiddenDim <= 0 || layers <= 0 || heads <= 0 || kvHeads <= 0 || vocabSize <= 0
                || contextLength <= 0 || headSize <= 0) {
            throw new ModelException("model sizes must be positive: " + this);
        }
        if (headSize % 2 != 0) {
            throw new ModelException("head size " + headSize + " must be even (RoPE rotates pairs)");
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
        if (rope == null) {
            throw new ModelException("RoPE layout must be given: " + this);
        }
        if ((long) heads * headSize > Integer.MAX_VALUE / 8) {
            throw new ModelException("heads " + heads + " x head size " + headSize + " is too large");
        }
    }

    /** A llama2.c-style model: head size {@code dim / heads}, adjacent-pair RoPE. */
    public LlamaConfig(int dim, int hiddenDim, int layers, int heads, int kvHeads, int vocabSize, int contextLength,
                       float ropeTheta, float normEps) {
        this(dim, hiddenDim, layers, heads, kvHeads, vocabSize, contextLength, ropeTheta, normEps,
                evenHeadSize(dim, heads), RopeLayout.ADJACENT_PAIRS);
    }

    private static int evenHeadSize(int dim, int heads) {
        if (heads <= 0 || dim <= 0 || dim % heads != 0 || (dim / heads) % 2 != 0) {
            throw new ModelException("dim " + dim + " must be heads (" + heads + ") times an even head size");
        }
        return dim / heads;
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

    /** The configuration of {@code hp}; the RoPE layout from its architecture (qwen2, qwen3: halves). */
    public static LlamaConfig of(ModelTensors.Hyperparameters hp) {
        RopeLayout rope = switch (hp.architecture()) {
            case "qwen2", "qwen3" -> RopeLayout.HALVES;
            default -> RopeLayout.ADJACENT_PAIRS;
        };
        return new LlamaConfig(hp.dim(), hp.hiddenDim(), hp.layers(), hp.heads(), hp.kvHeads(), hp.vocabSize(),
                hp.contextLength(), hp.ropeTheta(), hp.normEps(), hp.headSize(), rope);
    }

    /** Width of the query projection: heads times head size (the columns of attn_output). */
    public int qDim() {
        return heads * headSize;
    }

    public int kvDim() {
        return kvHeads * headSize;
    }

    /** Query heads per KV head. */
    public int kvMul() {
        return heads / kvHeads;
    }
}
