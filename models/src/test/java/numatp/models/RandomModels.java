package numatp.models;

import numatp.weights.ModelTensors;
import numatp.weights.Quantize;
import numatp.weights.Tensor;
import numatp.weights.TensorType;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/** Seeded random Llama models of any shape and matrix type, in memory (norms stay f32). */
public final class RandomModels {
    private RandomModels() {
    }

    public static ModelTensors create(LlamaConfig c, TensorType type, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Map<String, Tensor> t = new LinkedHashMap<>();
        int hs = c.headSize();
        put(t, "token_embd.weight", TensorType.F32, c.vocabSize(), c.dim(), rnd, 1.0f);
        for (int l = 0; l < c.layers(); l++) {
            String p = "blk." + l + ".";
            putNorm(t, p + "attn_norm.weight", c.dim(), rnd);
            put(t, p + "attn_q.weight", type, c.heads() * hs, c.dim(), rnd, 0.3f);
            put(t, p + "attn_k.weight", type, c.kvHeads() * hs, c.dim(), rnd, 0.3f);
            put(t, p + "attn_v.weight", type, c.kvHeads() * hs, c.dim(), rnd, 0.3f);
            put(t, p + "attn_output.weight", type, c.dim(), c.heads() * hs, rnd, 0.3f);
            putNorm(t, p + "ffn_norm.weight", c.dim(), rnd);
            put(t, p + "ffn_gate.weight", type, c.hiddenDim(), c.dim(), rnd, 0.3f);
            put(t, p + "ffn_up.weight", type, c.hiddenDim(), c.dim(), rnd, 0.3f);
            put(t, p + "ffn_down.weight", type, c.dim(), c.hiddenDim(), rnd, 0.3f);
        }
        putNorm(t, "output_norm.weight", c.dim(), rnd);
        put(t, "output.weight", type, c.vocabSize(), c.dim(), rnd, 0.3f);
        var hp = new ModelTensors.Hyperparameters(c.dim(), c.hiddenDim(), c.layers(), c.heads(), c.kvHeads(),
                c.vocabSize(), c.contextLength(), c.ropeTheta(), c.normEps());
        return new ModelTensors(hp, t, null);
    }

    private static void put(Map<String, Tensor> t, String name, TensorType type, int rows, int cols,
                            SplittableRandom rnd, float scale) {
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (rnd.nextDouble(-1, 1) * scale);
        }
        t.put(name, new Tensor(name, type, rows, cols, Quantize.encode(type, v)));
    }

    private static void putNorm(Map<String, Tensor> t, String name, int dim, SplittableRandom rnd) {
        float[] v = new float[dim];
        for (int i = 0; i < dim; i++) {
            v[i] = (float) rnd.nextDouble(0.5, 1.5);
        }
        t.put(name, new Tensor(name, TensorType.F32, 1, dim, Quantize.encode(TensorType.F32, v)));
    }
}
