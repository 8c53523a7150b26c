package numatp.weights;

import java.util.Map;

/**
 * The tensors of a Llama-family checkpoint under GGUF names ({@code token_embd.weight},
 * {@code blk.N.attn_q.weight}, ...), whatever the file format, with its hyperparameters.
 * Tensors are views into the mapped file. Q and K rows follow the adjacent-pair
 * (llama2.c / GGUF "norm") RoPE convention in both formats numatp reads.
 */
public record ModelTensors(Hyperparameters hp, Map<String, Tensor> tensors, MappedFile file) implements AutoCloseable {
    /**
     * Shape of a Llama-family model as stored in a checkpoint. {@code architecture} is GGUF's
     * {@code general.architecture} ("llama" for llama2.c checkpoints); {@code headSize} is the
     * width of one query/key/value head, which may differ from {@code dim / heads} (Qwen3).
     */
    public record Hyperparameters(int dim, int hiddenDim, int layers, int heads, int kvHeads, int vocabSize,
                                  int contextLength, float ropeTheta, float normEps, int headSize,
                                  String architecture) {
        public Hyperparameters {
            if (architecture == null) {
                throw new WeightsException("hyperparameters: architecture must not be null");
            }
        }

        /** A llama model whose head size is {@code dim / heads} (0 when heads is not positive). */
        public Hyperparameters(int dim, int hiddenDim, int layers, int heads, int kvHeads, int vocabSize,
                               int contextLength, float ropeTheta, float normEps) {
            this(dim, hiddenDim, layers, heads, kvHeads, vocabSize, contextLength, ropeTheta, normEps,
                    heads > 0 ? dim / heads : 0, "llama");
        }
    }

    /** The tensor called {@code name}, or a {@link WeightsException} naming the file. */
    public Tensor tensor(String name) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new WeightsException((file == null ? "model" : file.path()) + ": missing tensor " + name);
        }
        return t;
    }

    public boolean has(String name) {
        return tensors.containsKey(name);
    }

    @Override
    public void close() {
        if (file != null) {
            file.close();
        }
    }
}
