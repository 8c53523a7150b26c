package numatp.weights.llama2c;

import numatp.weights.Dequant;
import numatp.weights.MappedFile;
import numatp.weights.ModelTensors;
import numatp.weights.Tensor;
import numatp.weights.TensorType;
import numatp.weights.WeightsException;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads llama2.c checkpoints ({@code run.c} format): a header of 7 little-endian int32
 * (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len; a positive
 * vocab_size means the classifier shares the token embedding), then f32 arrays in
 * the order token embedding, rms_att, wq, wk, wv, wo, rms_ffn, w1, w2, w3, rms_final,
 * two unused RoPE tables, and the classifier when not shared. Memory-mapped, no copy.
 */
public final class Llama2cCheckpoint {
    /** Header size in bytes. */
    public static final int HEADER_BYTES = 7 * 4;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int MAX_DIM = 1 << 20;

    private Llama2cCheckpoint() {
    }

    /** Maps and validates {@code path}. */
    public static ModelTensors load(Path path) {
        MappedFile file = MappedFile.map(path);
        try {
            return read(file);
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    private static ModelTensors read(MappedFile file) {
        MemorySegment seg = file.segment();
        String where = file.path().toString();
        if (seg.byteSize() < HEADER_BYTES) {
            throw new WeightsException(where + ": truncated llama2.c header: need " + HEADER_BYTES
                    + " bytes, file has " + seg.byteSize());
        }
        String[] names = {"dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "seq_len"};
        int[] h = new int[7];
        for (int i = 0; i < 7; i++) {
            h[i] = seg.get(I32, 4L * i);
            int value = i == 5 ? Math.abs(h[i]) : h[i];
            if (value <= 0 || value > (i == 5 ? 1 << 24 : MAX_DIM) || h[i] == Integer.MIN_VALUE) {
                throw new WeightsException(where + ": llama2.c header field " + names[i] + " at offset " + (4 * i)
                        + " is " + h[i] + ", expected a positive size (is this a llama2.c checkpoint?)");
            }
        }
        int dim = h[0], hidden = h[1], layers = h[2], heads = h[3], kvHeads = h[4], seqLen = h[6];
        boolean shared = h[5] > 0;
        int vocab = Math.abs(h[5]);
        if (dim % heads != 0) {
            throw new WeightsException(where + ": dim " + dim + " is not a multiple of n_heads " + heads);
        }
        if (kvHeads > heads || heads % kvHeads != 0) {
            throw new WeightsException(where + ": n_heads " + heads + " is not a multiple of n_kv_heads " + kvHeads);
        }
        int headSize = dim / heads;
        if (headSize % 2 != 0) {
            throw new WeightsException(where + ": head size " + headSize + " is odd; RoPE needs pairs");
        }
        int kvDim = kvHeads * headSize;
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        long[] at = {HEADER_BYTES};
        Reader r = new Reader(file, at);
        Tensor embed = r.take("token_embd.weight", vocab, dim);
        tensors.put("token_embd.weight", embed);
        Tensor rmsAtt = r.take("rms_att_weight", layers, dim);
        Tensor wq = r.take("wq", r.product("wq", layers, dim), dim);
        Tensor wk = r.take("wk", r.product("wk", layers, kvDim), dim);
        Tensor wv = r.take("wv", r.product("wv", layers, kvDim), dim);
        Tensor wo = r.take("wo", r.product("wo", layers, dim), dim);
        Tensor rmsFfn = r.take("rms_ffn_weight", layers, dim);
        Tensor w1 = r.take("w1", r.product("w1", layers, hidden), dim);
        Tensor w2 = r.take("w2", r.product("w2", layers, dim), hidden);
        Tensor w3 = r.take("w3", r.product("w3", layers, hidden), dim);
        tensors.put("output_norm.weight", r.take("output_norm.weight", 1, dim));
        r.skip("freq_cis", r.product("freq_cis", r.product("freq_cis", 2L * seqLen, headSize / 2), 4));
        tensors.put("output.weight", shared ? embed.withName("output.weight") : r.take("output.weight", vocab, dim));
        r.requireEnd(shared, (long) vocab * dim * 4);
        for (int l = 0; l < layers; l++) { // take() kept layers * dim etc. below 2^31: l * dim cannot wrap
            String p = "blk." + l + ".";
            tensors.put(p + "attn_norm.weight", rmsAtt.rowSlice(l, 1).withName(p + "attn_norm.weight"));
            tensors.put(p + "attn_q.weight", wq.rowSlice(l * dim, dim).withName(p + "attn_q.weight"));
            tensors.put(p + "attn_k.weight", wk.rowSlice(l * kvDim, kvDim).withName(p + "attn_k.weight"));
            tensors.put(p + "attn_v.weight", wv.rowSlice(l * kvDim, kvDim).withName(p + "attn_v.weight"));
            tensors.put(p + "attn_output.weight", wo.rowSlice(l * dim, dim).withName(p + "attn_output.weight"));
            tensors.put(p + "ffn_norm.weight", rmsFfn.rowSlice(l, 1).withName(p + "ffn_norm.weight"));
            tensors.put(p + "ffn_gate.weight", w1.rowSlice(l * hidden, hidden).withName(p + "ffn_gate.weight"));
            tensors.put(p + "ffn_down.weight", w2.rowSlice(l * dim, dim).withName(p + "ffn_down.weight"));
            tensors.put(p + "ffn_up.weight", w3.rowSlice(l * hidden, hidden).withName(p + "ffn_up.weight"));
        }
        var hp = new ModelTensors.Hyperparameters(dim, hidden, layers, heads, kvHeads, vocab, seqLen, 10000f, 1e-5f);
        return new ModelTensors(hp, tensors, file);
    }

    /** Takes consecutive f32 arrays from the file, checking each fits; sizes are overflow-checked longs. */
    private record Reader(MappedFile file, long[] at) {
        /** {@code a * b} for the size of {@code name}, or an error instead of a wrapped-around size. */
        long product(String name, long a, long b) {
            try {
                return Math.multiplyExact(a, b);
            } catch (ArithmeticException e) {
                throw new WeightsException(file.path() + ": tensor " + name + " size " + a + " * " + b
                        + " overflows a long: the llama2.c header sizes are impossible");
            }
        }

        Tensor take(String name, long rows, long cols) {
            long bytes = product(name, product(name, rows, cols), 4L);
            if (bytes > file.size() - at[0]) {
                throw new WeightsException(file.path() + ": truncated: tensor " + name + " [" + rows + ", " + cols
                        + "] f32 at offset " + at[0] + " needs " + bytes + " bytes, file has " + file.size());
            }
            if (rows > Integer.MAX_VALUE) {
                throw new WeightsException(file.path() + ": tensor " + name + " [" + rows + ", " + cols
                        + "] at offset " + at[0] + " has more than 2^31-1 rows");
            }
            Tensor t = new Tensor(name, TensorType.F32, (int) rows, (int) cols, file.segment().asSlice(at[0], bytes));
            at[0] += bytes;
            return t;
        }

        void skip(String name, long bytes) {
            if (bytes > file.size() - at[0]) {
                throw new WeightsException(file.path() + ": truncated: " + name + " at offset " + at[0] + " needs "
                        + bytes + " bytes, file has " + file.size());
            }
            at[0] += bytes;
        }

        /**
         * run.c's layout has no trailing data: the file ends after the RoPE tables (shared
         * classifier, positive vocab_size) or after the [vocab, dim] classifier (negative
         * vocab_size). Anything else means the header does not describe this file, and the
         * weights would be read at the wrong offsets.
         */
        void requireEnd(boolean shared, long classifierBytes) {
            long left = file.size() - at[0];
            if (left == 0) {
                return;
            }
            String hint = shared && left == classifierBytes
                    ? "; they are exactly one [vocab, dim] f32 classifier: an unshared checkpoint needs a negative"
                            + " vocab_size at offset 20"
                    : "; the header's sizes do not describe this file";
            throw new WeightsException(file.path() + ": " + left + " unused bytes at offset " + at[0]
                    + " after the last tensor (" + (shared ? "RoPE tables, classifier shared with the embedding"
                    : "output.weight") + "), file has " + file.size() + hint);
        }
    }

    static float f32(MemorySegment s, long offset) {
        return s.get(Dequant.F32, offset);
    }
}
