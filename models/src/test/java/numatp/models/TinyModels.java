package numatp.models;

import numatp.models.tokenizer.Tokenizer;
import numatp.weights.ModelTensors;
import numatp.weights.TensorType;
import numatp.weights.gguf.GgufWriter;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Small models and vocabularies built in memory, so loader tests need no shared data: a
 * vocabulary of the three specials, all 256 byte tokens, the space, letters and some
 * merges, and random-weight Llama models whose embedding has one row per token.
 */
final class TinyModels {
    private TinyModels() {
    }

    /** The first {@code n} pieces of the tiny vocabulary ({@code n} >= 3), scores favouring longer merges. */
    static Tokenizer tokenizer(int n) {
        List<String> p = new ArrayList<>(List.of("<unk>", "<s>", "</s>"));
        for (int b = 0; b < 256; b++) {
            p.add(String.format("<0x%02X>", b));
        }
        p.add(" ");
        for (char c = 'a'; c <= 'z'; c++) {
            p.add(String.valueOf(c));
        }
        for (String m : new String[] {"th", " t", "he", " the", "in", "an", " a", "er", "é", "\uD83E\uDD99", " and"}) {
            p.add(m);
        }
        for (int i = 0; p.size() < n; i++) {
            p.add("x" + i);
        }
        byte[][] pieces = new byte[n][];
        float[] scores = new float[n];
        for (int i = 0; i < n; i++) {
            pieces[i] = p.get(i).getBytes(StandardCharsets.UTF_8);
            scores[i] = i < 259 ? 0 : pieces[i].length - i * 1e-3f;
        }
        return new Tokenizer(pieces, scores);
    }

    /** Size of the whole tiny vocabulary. */
    static final int VOCAB = 300;

    static LlamaConfig config(int vocab) {
        return new LlamaConfig(16, 32, 2, 4, 2, vocab, 32, 10000f, 1e-5f);
    }

    /** A GGUF writer for a random model of {@code rows} embedding rows and {@code tok}'s vocabulary. */
    static GgufWriter gguf(int rows, Tokenizer tok, long seed) {
        ModelTensors m = RandomModels.create(config(rows), TensorType.F32, seed);
        return GgufConverter.writer(m, tok, TensorType.F32);
    }
    /**
     * A llama2.c (run.c) checkpoint of {@code c}'s shape with random f32 weights; the
     * classifier is shared with the embedding (positive vocab_size) or stored after the
     * RoPE tables (negative vocab_size).
     */
    static byte[] llama2c(LlamaConfig c, boolean sharedClassifier, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        long dim = c.dim(), hidden = c.hiddenDim(), layers = c.layers(), vocab = c.vocabSize(), kvDim = c.kvDim();
        long floats = vocab * dim + layers * (2 * dim + 2 * dim * dim + 2 * kvDim * dim + 3 * hidden * dim) + dim
                + (long) c.contextLength() * c.headSize() + (sharedClassifier ? 0 : vocab * dim);
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(7 * 4 + 4 * floats)).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(c.dim()).putInt(c.hiddenDim()).putInt(c.layers()).putInt(c.heads()).putInt(c.kvHeads())
                .putInt(sharedClassifier ? c.vocabSize() : -c.vocabSize()).putInt(c.contextLength());
        while (b.hasRemaining()) {
            b.putFloat((float) rnd.nextDouble(-1, 1));
        }
        return b.array();
    }

    /** llama2.c's tokenizer.bin of {@code tok}: max_token_length, then per token score, length, bytes. */
    static byte[] tokenizerBin(Tokenizer tok) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        out.write(b.putInt(0, 64).array(), 0, 4);
        for (int i = 0; i < tok.vocabSize(); i++) {
            b.putFloat(0, tok.score(i)).putInt(4, tok.piece(i).length);
            out.write(b.array(), 0, 8);
            out.writeBytes(tok.piece(i));
        }
        return out.toByteArray();
    }
}
