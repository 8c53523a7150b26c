package numatp.models;

import numatp.weights.ModelTensors;
import numatp.weights.Quantize;
import numatp.weights.Tensor;
import numatp.weights.TensorType;
import numatp.weights.quant.Q2KLayout;
import numatp.weights.quant.Q3KLayout;
import numatp.weights.quant.Q41Layout;
import numatp.weights.quant.Q4KLayout;
import numatp.weights.quant.Q50Layout;
import numatp.weights.quant.Q51Layout;
import numatp.weights.quant.Q5KLayout;
import numatp.weights.quant.Q6KLayout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Random-weight Llama models of realistic width for speed work (no file needed): the
 * matrices are filled with random bytes of the chosen encoding, scaled so values are
 * about 0.02 (quantised scales, f16/bf16/f32 values), norms are 1. Not for correctness.
 */
public final class SyntheticModels {
    private SyntheticModels() {
    }

    public static ModelTensors create(LlamaConfig c, TensorType type, long seed, Arena arena) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Map<String, Tensor> t = new LinkedHashMap<>();
        int hs = c.headSize();
        put(t, "token_embd.weight", type, c.vocabSize(), c.dim(), rnd, arena);
        for (int l = 0; l < c.layers(); l++) {
            String p = "blk." + l + ".";
            norm(t, p + "attn_norm.weight", c.dim(), arena);
            put(t, p + "attn_q.weight", type, c.heads() * hs, c.dim(), rnd, arena);
            put(t, p + "attn_k.weight", type, c.kvHeads() * hs, c.dim(), rnd, arena);
            put(t, p + "attn_v.weight", type, c.kvHeads() * hs, c.dim(), rnd, arena);
            put(t, p + "attn_output.weight", type, c.dim(), c.heads() * hs, rnd, arena);
            norm(t, p + "ffn_norm.weight", c.dim(), arena);
            put(t, p + "ffn_gate.weight", type, c.hiddenDim(), c.dim(), rnd, arena);
            put(t, p + "ffn_up.weight", type, c.hiddenDim(), c.dim(), rnd, arena);
            put(t, p + "ffn_down.weight", type, c.dim(), c.hiddenDim(), rnd, arena);
        }
        norm(t, "output_norm.weight", c.dim(), arena);
        put(t, "output.weight", type, c.vocabSize(), c.dim(), rnd, arena);
        var hp = new ModelTensors.Hyperparameters(c.dim(), c.hiddenDim(), c.layers(), c.heads(), c.kvHeads(),
                c.vocabSize(), c.contextLength(), c.ropeTheta(), c.normEps());
        return new ModelTensors(hp, t, null);
    }

    private static void norm(Map<String, Tensor> t, String name, int dim, Arena arena) {
        float[] ones = new float[dim];
        java.util.Arrays.fill(ones, 1f);
        MemorySegment seg = arena.allocate(4L * dim, 64);
        Quantize.encode(TensorType.F32, ones, seg);
        t.put(name, new Tensor(name, TensorType.F32, 1, dim, seg));
    }

    private static void put(Map<String, Tensor> t, String name, TensorType type, int rows, int cols,
                            SplittableRandom rnd, Arena arena) {
        long bytes = type.bytesFor((long) rows * cols);
        MemorySegment seg = arena.allocate(bytes, 64);
        long words = bytes / 8;
        for (long i = 0; i < words; i++) {
            seg.setAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, i, rnd.nextLong());
        }
        long rowBytes = type.bytesFor(cols);
        short f16Scale = Float.floatToFloat16(0.02f / 127f);
        switch (type) {
            case Q8_0, Q4_0 -> {
                long blocks = bytes / type.blockBytes();
                short scale = type == TensorType.Q8_0 ? f16Scale : Float.floatToFloat16(0.02f / 8f);
                for (long b = 0; b < blocks; b++) {
                    seg.set(ValueLayout.JAVA_SHORT_UNALIGNED, b * type.blockBytes(), scale);
                }
            }
            case Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K -> {
                long blocks = bytes / type.blockBytes();
                for (long b = 0; b < blocks; b++) {
                    setBlockScales(type, seg, b * type.blockBytes());
                }
            }
            case F16 -> {
                for (long i = 0; i < bytes / 2; i++) {
                    seg.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i,
                            Float.floatToFloat16((float) rnd.nextDouble(-0.02, 0.02)));
                }
            }
            case BF16 -> {
                for (long i = 0; i < bytes / 2; i++) {
                    seg.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i,
                            (short) (Float.floatToRawIntBits((float) rnd.nextDouble(-0.02, 0.02)) >>> 16));
                }
            }
            case F32 -> {
                for (long i = 0; i < bytes / 4; i++) {
                    seg.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, (float) rnd.nextDouble(-0.02, 0.02));
                }
            }
        }
        t.put(name, new Tensor(name, type, rows, cols, seg));
        assert rowBytes > 0 || cols == 0;
    }

    /**
     * The f16 scale (and min) fields of the random block at {@code block}, so its values are
     * about 0.02 whatever its random quants and sub-block scales: d = 0.02 / (largest
     * |sub-scale * q|), min scales half of that.
     */
    static void setBlockScales(TensorType type, MemorySegment seg, long block) {
        switch (type) {
            case Q4_1 -> setScales(seg, block + Q41Layout.D, 0.02f / 15, block + Q41Layout.M, -0.01f);
            case Q5_0 -> setScales(seg, block + Q50Layout.D, 0.02f / 16, -1, 0f);
            case Q5_1 -> setScales(seg, block + Q51Layout.D, 0.02f / 31, block + Q51Layout.M, -0.01f);
            case Q2_K -> setScales(seg, block + Q2KLayout.D, 0.02f / (15 * 3), block + Q2KLayout.DMIN, 0.01f / 15);
            case Q3_K -> setScales(seg, block + Q3KLayout.D, 0.02f / (32 * 4), -1, 0f);
            case Q4_K -> setScales(seg, block + Q4KLayout.D, 0.02f / (63 * 15), block + Q4KLayout.DMIN, 0.01f / 63);
            case Q5_K -> setScales(seg, block + Q5KLayout.D, 0.02f / (63 * 31), block + Q5KLayout.DMIN, 0.01f / 63);
            case Q6_K -> setScales(seg, block + Q6KLayout.D, 0.02f / (128 * 32), -1, 0f);
            default -> throw new IllegalArgumentException("not a block type with scale fields: " + type);
        }
    }

    private static void setScales(MemorySegment seg, long dAt, float d, long minAt, float min) {
        seg.set(ValueLayout.JAVA_SHORT_UNALIGNED, dAt, Float.floatToFloat16(d));
        if (minAt >= 0) {
            seg.set(ValueLayout.JAVA_SHORT_UNALIGNED, minAt, Float.floatToFloat16(min));
        }
    }
}
