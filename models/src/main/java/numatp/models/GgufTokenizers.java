package numatp.models;

import numatp.models.tokenizer.BpeTokenizer;
import numatp.models.tokenizer.PreTokenizer;
import numatp.models.tokenizer.TextTokenizer;
import numatp.models.tokenizer.TokenType;
import numatp.weights.gguf.GgufFile;

import java.nio.file.Path;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * The tokenizer of a GGUF file, chosen by {@code tokenizer.ggml.model}: {@code llama}
 * (SentencePiece) as {@link GgufModels#tokenizer(GgufFile)} reads it, {@code gpt2}
 * (byte-level BPE) as a {@link BpeTokenizer} with the pre-tokenizer
 * {@code tokenizer.ggml.pre} names. Other models (bert, t5, rwkv...) fail naming the file
 * and the model.
 */
public final class GgufTokenizers {
    private static final String MODEL = "tokenizer.ggml.model";
    private static final String PRE = "tokenizer.ggml.pre";
    private static final String TOKENS = "tokenizer.ggml.tokens";
    private static final String TYPES = "tokenizer.ggml.token_type";
    private static final String MERGES = "tokenizer.ggml.merges";

    /** Texts of control tokens that end a reply wherever they occur (llama.cpp treats them so too). */
    private static final Set<String> END_OF_TURN = Set.of("<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>",
            "<|endoftext|>", "<|eom_id|>", "<EOT>", "_<EOT>", "<｜end▁of▁sentence｜>", "<end_of_utterance>");

    private GgufTokenizers() {
    }

    public static TextTokenizer open(Path path) {
        try (GgufFile g = GgufFile.open(path)) {
            return open(g);
        }
    }

    public static TextTokenizer open(GgufFile g) {
        String model = g.get(MODEL, String.class);
        return switch (model) {
            case "llama" -> GgufModels.tokenizer(g);
            case "gpt2" -> bpe(g);
            default -> throw new ModelException(g.path() + ": " + MODEL + " is " + model
                    + ": unsupported tokenizer (numatp reads llama (SentencePiece) and gpt2 (byte-level BPE))");
        };
    }

    /** The byte-level BPE vocabulary of {@code g}, which must be a {@code gpt2} one. */
    public static BpeTokenizer bpe(GgufFile g) {
        Path path = g.path();
        String preName = g.metadata().containsKey(PRE) ? g.get(PRE, String.class) : "default";
        PreTokenizer pre = PreTokenizer.forName(preName);
        if (pre == null) {
            throw new ModelException(path + ": " + PRE + " is " + preName + ": unsupported pre-tokenizer (numatp knows "
                    + String.join(", ", PreTokenizer.names()) + ")");
        }
        String[] tokens = g.get(TOKENS, String[].class);
        int[] types = new int[tokens.length];
        if (g.metadata().containsKey(TYPES)) {
            long[] t = g.get(TYPES, long[].class);
            if (t.length != tokens.length) {
                throw new ModelException(path + ": " + TYPES + " has " + t.length + " entries for " + tokens.length
                        + " tokens");
            }
            for (int i = 0; i < t.length; i++) {
                if (!TokenType.isValid(t[i])) {
                    throw new ModelException(path + ": " + TYPES + "[" + i + "] is " + t[i] + ", expected 0..6");
                }
                types[i] = (int) t[i];
            }
        } else {
            java.util.Arrays.fill(types, TokenType.NORMAL);
        }
        String[] merges = g.metadata().containsKey(MERGES) ? g.get(MERGES, String[].class) : new String[0];
        int bos = id(g, "tokenizer.ggml.bos_token_id", tokens.length);
        int eos = id(g, "tokenizer.ggml.eos_token_id", tokens.length);
        int eot = id(g, "tokenizer.ggml.eot_token_id", tokens.length);
        int eom = id(g, "tokenizer.ggml.eom_token_id", tokens.length);
        int[] endOfGeneration = IntStream.concat(IntStream.of(eot, eom).filter(i -> i >= 0),
                IntStream.range(0, tokens.length).filter(i -> types[i] == TokenType.CONTROL
                        && END_OF_TURN.contains(tokens[i]))).distinct().toArray();
        boolean addBos = flag(g, "tokenizer.ggml.add_bos_token", pre.addsBosByDefault());
        boolean addEos = flag(g, "tokenizer.ggml.add_eos_token", false);
        return new BpeTokenizer(new BpeTokenizer.Vocabulary(path.toString(), tokens, types, merges, pre, bos, eos,
                endOfGeneration, addBos, addEos));
    }

    /** A token id key, or -1 when absent; one outside the vocabulary fails naming the key. */
    private static int id(GgufFile g, String key, int vocab) {
        Object v = g.metadata().get(key);
        if (v == null) {
            return -1;
        }
        if (!(v instanceof Long l) || l < 0 || l >= vocab) {
            throw new ModelException(g.path() + ": " + key + " is " + v + ", expected a token id in [0, " + vocab + ")");
        }
        return (int) (long) l;
    }

    private static boolean flag(GgufFile g, String key, boolean fallback) {
        Object v = g.metadata().get(key);
        if (v == null) {
            return fallback;
        }
        if (!(v instanceof Boolean b)) {
            throw new ModelException(g.path() + ": " + key + " is " + v + ", expected a boolean");
        }
        return b;
    }
}
