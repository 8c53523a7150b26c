package numatp.server;

import numatp.models.LlamaConfig;
import numatp.models.SyntheticModels;
import numatp.models.tokenizer.Tokenizer;
import numatp.weights.ModelTensors;
import numatp.weights.TensorType;

import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;

/**
 * What {@code tp serve} runs without {@code --model}: a seeded random Llama (about 5 MiB
 * of Q8_0 weights, generated at start-up in well under a second) and a byte-level
 * tokenizer, so the server works on a fresh clone with no files. Its text is noise;
 * everything else (API, batching, sharding, metrics) is the real thing.
 *
 * <p>Vocabulary ({@value #VOCAB_SIZE} pieces): 0 {@code <unk>}, 1 BOS, 2 EOS, 3..258 the
 * byte-fallback pieces {@code <0x00>..<0xFF>} (so any UTF-8 text encodes), then the 95
 * printable ASCII characters as pieces of their own. There are no merges.
 */
public final class BuiltinModel {
    /** The id {@code /v1/models} reports. */
    public static final String ID = "numatp-synthetic";
    public static final int VOCAB_SIZE = 3 + 256 + 95;
    /** dim 256, hidden 768, 6 layers, 8 query heads over 4 KV heads (so up to 8 shards), context 1024. */
    public static final LlamaConfig CONFIG = new LlamaConfig(256, 768, 6, 8, 4, VOCAB_SIZE, 1024, 10000f, 1e-5f);
    public static final long SEED = 0x5EED_7E57L;

    private BuiltinModel() {
    }

    /** The weights, allocated in {@code arena}; the same for every run. */
    public static ModelTensors create(Arena arena) {
        return SyntheticModels.create(CONFIG, TensorType.Q8_0, SEED, arena);
    }

    public static Tokenizer tokenizer() {
        byte[][] pieces = new byte[VOCAB_SIZE][];
        float[] scores = new float[VOCAB_SIZE];
        pieces[0] = "<unk>".getBytes(StandardCharsets.US_ASCII);
        pieces[1] = "\n<s>\n".getBytes(StandardCharsets.US_ASCII);
        pieces[2] = "\n</s>\n".getBytes(StandardCharsets.US_ASCII);
        for (int b = 0; b < 256; b++) {
            pieces[3 + b] = String.format("<0x%02X>", b).getBytes(StandardCharsets.US_ASCII);
        }
        for (int c = 0x20; c <= 0x7E; c++) {
            pieces[259 + c - 0x20] = new byte[] {(byte) c};
        }
        return new Tokenizer(pieces, scores);
    }
}
