package numatp.models;

import numatp.models.tokenizer.Tokenizer;
import numatp.weights.TensorType;
import numatp.weights.gguf.GgufWriter;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * GGUF llama files of real model shapes with random weights, for load and speed work on
 * models too large to keep around (a Llama-3-8B Q4_K_M is 4.6 GiB). Quantised blocks are
 * written directly, random quants and sub-block scales under small fixed f16 super-block
 * scales (values about 0.02, see {@link SyntheticModels}), never by quantising floats, and
 * streamed to the file one chunk at a time ({@link GgufWriter.TensorBytes}), so writing
 * takes seconds and little heap. Norms are 1. The vocabulary is a synthetic SentencePiece
 * ({@code llama}) one with one piece per embedding row: {@code <unk>}, {@code <s>},
 * {@code </s>}, the 256 byte pieces {@code <0x00>}..{@code <0xFF>}, {@code ▁} (a space), then
 * distinct made-up pieces with descending scores. Not for correctness: the text it generates is noise.
 */
public final class SyntheticGguf {
    /** Named shapes: real models' hyperparameters (context as the model card gives it). */
    public enum Shape {
        /** Meta Llama-3-8B: dim 4096, hidden 14336, 32 layers, 32 heads, 8 KV heads (head 128), vocab 128256, untied output. */
        LLAMA3_8B("llama3-8b", new LlamaConfig(4096, 14336, 32, 32, 8, 128256, 8192, 500000f, 1e-5f)),
        /**
         * The 426M-parameter shape the llama.cpp side-by-side uses (docs/models.md, bench/peers):
         * dim 2048, hidden 5632, 8 layers, 32 heads, 8 KV heads (head 64), vocab 32000.
         */
        BENCH_426M("bench-426m", new LlamaConfig(2048, 5632, 8, 32, 8, 32000, 2048, 10000f, 1e-5f)),
        /** A small model of the same structure (GQA, head 128, widths that split into whole 256-element blocks over 2 shards) for tests. */
        TINY("tiny", new LlamaConfig(512, 1024, 2, 4, 2, 512, 256, 500000f, 1e-5f));

        private final String label;
        private final LlamaConfig config;

        Shape(String label, LlamaConfig config) {
            this.label = label;
            this.config = config;
        }

        public String label() {
            return label;
        }

        public LlamaConfig config() {
            return config;
        }

        /** The shape called {@code label} (any case); the message names {@code flag} and the known labels. */
        public static Shape parse(String label, String flag) {
            for (Shape s : values()) {
                if (s.label.equalsIgnoreCase(label)) {
                    return s;
                }
            }
            throw new ModelException(flag + " must be one of " + Arrays.stream(values()).map(Shape::label).toList()
                    + ": " + label);
        }
    }

    /** The 3 special pieces and 256 byte pieces every synthetic vocabulary starts with. */
    static final int FIXED_PIECES = 3 + 256;

    private SyntheticGguf() {
    }

    /** Writes the synthetic model {@code c}, matrices as {@code mix} says, weights from {@code seed}. */
    public static void write(LlamaConfig c, QuantMix mix, long seed, Path out) {
        writer(c, mix, seed).write(out);
    }

    /** The writer {@link #write} uses; tensor bytes are produced only while it writes. */
    public static GgufWriter writer(LlamaConfig c, QuantMix mix, long seed) {
        if (c.vocabSize() <= FIXED_PIECES) {
            throw new ModelException("a synthetic vocabulary needs more than " + FIXED_PIECES + " tokens: "
                    + c.vocabSize());
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        GgufWriter w = new GgufWriter()
                .putString("general.architecture", "llama")
                .putString("general.name", String.format(Locale.ROOT, "numatp synthetic %d-layer dim %d %s",
                        c.layers(), c.dim(), mix.name()))
                .putU32("llama.context_length", c.contextLength())
                .putU32("llama.embedding_length", c.dim())
                .putU32("llama.feed_forward_length", c.hiddenDim())
                .putU32("llama.block_count", c.layers())
                .putU32("llama.attention.head_count", c.heads())
                .putU32("llama.attention.head_count_kv", c.kvHeads())
                .putU32("llama.rope.dimension_count", c.headSize())
                .putF32("llama.rope.freq_base", c.ropeTheta())
                .putF32("llama.attention.layer_norm_rms_epsilon", c.normEps());
        if (mix == QuantMix.Q4_K_M) {
            w.putU32("general.file_type", LLAMA_FTYPE_MOSTLY_Q4_K_M);
        }
        vocabulary(w, c.vocabSize());
        int layers = c.layers();
        int hs = c.headSize();
        matrix(w, "token_embd.weight", mix.typeOf("token_embd", 0, layers), c.vocabSize(), c.dim(), rnd);
        for (int l = 0; l < layers; l++) {
            String p = "blk." + l + ".";
            norm(w, p + "attn_norm.weight", c.dim());
            matrix(w, p + "attn_q.weight", mix.typeOf("attn_q", l, layers), c.heads() * hs, c.dim(), rnd);
            matrix(w, p + "attn_k.weight", mix.typeOf("attn_k", l, layers), c.kvDim(), c.dim(), rnd);
            matrix(w, p + "attn_v.weight", mix.typeOf("attn_v", l, layers), c.kvDim(), c.dim(), rnd);
            matrix(w, p + "attn_output.weight", mix.typeOf("attn_output", l, layers), c.dim(), c.heads() * hs, rnd);
            norm(w, p + "ffn_norm.weight", c.dim());
            matrix(w, p + "ffn_gate.weight", mix.typeOf("ffn_gate", l, layers), c.hiddenDim(), c.dim(), rnd);
            matrix(w, p + "ffn_up.weight", mix.typeOf("ffn_up", l, layers), c.hiddenDim(), c.dim(), rnd);
            matrix(w, p + "ffn_down.weight", mix.typeOf("ffn_down", l, layers), c.dim(), c.hiddenDim(), rnd);
        }
        norm(w, "output_norm.weight", c.dim());
        matrix(w, "output.weight", mix.typeOf("output", 0, layers), c.vocabSize(), c.dim(), rnd);
        return w;
    }

    /** llama.cpp's {@code LLAMA_FTYPE_MOSTLY_Q4_K_M}. */
    static final int LLAMA_FTYPE_MOSTLY_Q4_K_M = 15;

    private static void vocabulary(GgufWriter w, int size) {
        String[] tokens = new String[size];
        float[] scores = new float[size];
        int[] types = new int[size];
        tokens[0] = "<unk>";
        tokens[Tokenizer.BOS] = "<s>";
        tokens[Tokenizer.EOS] = "</s>";
        types[0] = 2; // sentencepiece token types: 1 normal, 2 unknown, 3 control, 6 byte
        types[Tokenizer.BOS] = 3;
        types[Tokenizer.EOS] = 3;
        for (int b = 0; b < 256; b++) {
            tokens[3 + b] = String.format(Locale.ROOT, "<0x%02X>", b);
            types[3 + b] = 6;
        }
        tokens[FIXED_PIECES] = "\u2581"; // the dummy-prefix space the encoder needs
        types[FIXED_PIECES] = 1;
        for (int i = FIXED_PIECES + 1; i < size; i++) {
            int k = i - FIXED_PIECES - 1;
            // Distinct pieces: bijective base-26 words, every word once with and once without a leading space.
            tokens[i] = (k % 2 == 1 ? "\u2581" : "") + word(k / 2);
            scores[i] = -1 - k;
            types[i] = 1;
        }
        GgufConverter.putSentencePieceVocabulary(w, tokens, scores, types);
    }

    /** "a".."z", "aa".."zz", ...: the {@code n}-th word of bijective base 26. */
    static String word(int n) {
        StringBuilder sb = new StringBuilder();
        for (long v = (long) n + 1; v > 0; v = (v - 1) / 26) {
            sb.append((char) ('a' + (v - 1) % 26));
        }
        return sb.reverse().toString();
    }

    private static void norm(GgufWriter w, String name, int dim) {
        w.addTensor(name, TensorType.F32, new long[] {dim}, (offset, chunk) -> {
            for (long at = 0; at < chunk.byteSize(); at += 4) {
                chunk.set(ValueLayout.JAVA_FLOAT_UNALIGNED, at, 1f);
            }
        });
    }

    private static void matrix(GgufWriter w, String name, TensorType type, int rows, int cols, SplittableRandom rnd) {
        if (cols % type.blockElements() != 0) {
            throw new ModelException("tensor " + name + ": " + cols + " columns are not whole " + type + " blocks of "
                    + type.blockElements());
        }
        SplittableRandom own = rnd.split();
        w.addTensor(name, type, new long[] {cols, rows}, (offset, chunk) -> fill(type, chunk, own));
    }

    /** Random bytes, then valid scales (or random values for the float types); a chunk holds whole blocks. */
    private static void fill(TensorType type, MemorySegment chunk, SplittableRandom rnd) {
        long size = chunk.byteSize();
        long words = size / 8;
        for (long i = 0; i < words; i++) {
            chunk.setAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, i, rnd.nextLong());
        }
        for (long at = words * 8; at < size; at++) {
            chunk.set(ValueLayout.JAVA_BYTE, at, (byte) rnd.nextInt());
        }
        switch (type) {
            case F32 -> {
                for (long at = 0; at < size; at += 4) {
                    chunk.set(ValueLayout.JAVA_FLOAT_UNALIGNED, at, (float) rnd.nextDouble(-0.02, 0.02));
                }
            }
            case F16 -> {
                for (long at = 0; at < size; at += 2) {
                    chunk.set(ValueLayout.JAVA_SHORT_UNALIGNED, at,
                            Float.floatToFloat16((float) rnd.nextDouble(-0.02, 0.02)));
                }
            }
            case BF16 -> {
                for (long at = 0; at < size; at += 2) {
                    chunk.set(ValueLayout.JAVA_SHORT_UNALIGNED, at,
                            (short) (Float.floatToRawIntBits((float) rnd.nextDouble(-0.02, 0.02)) >>> 16));
                }
            }
            case Q8_0, Q4_0 -> {
                short scale = Float.floatToFloat16(type == TensorType.Q8_0 ? 0.02f / 127f : 0.02f / 8f);
                for (long at = 0; at < size; at += type.blockBytes()) {
                    chunk.set(ValueLayout.JAVA_SHORT_UNALIGNED, at, scale);
                }
            }
            default -> {
                for (long at = 0; at < size; at += type.blockBytes()) {
                    SyntheticModels.setBlockScales(type, chunk, at);
                }
            }
        }
    }
}
