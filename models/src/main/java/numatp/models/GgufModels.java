package numatp.models;

import numatp.models.tokenizer.Tokenizer;
import numatp.weights.ModelTensors;
import numatp.weights.Tensor;
import numatp.weights.WeightsException;
import numatp.weights.gguf.GgufFile;
import numatp.weights.gguf.GgufTensorInfo;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * GGUF Llama models ({@code general.architecture = llama}, {@code llama.*} keys) and
 * vocabularies ({@code tokenizer.ggml.*}, model "llama": SentencePiece pieces with
 * U+2581 for spaces). Q/K rows in GGUF llama files already use the adjacent-pair RoPE
 * layout llama2.c uses (the HF converter permutes them), so no permutation happens here.
 */
public final class GgufModels {
    private GgufModels() {
    }

    public static ModelTensors open(Path path) {
        GgufFile g = GgufFile.open(path);
        try {
            String arch = g.get("general.architecture", String.class);
            if (!arch.equals("llama")) {
                throw new WeightsException(path + ": general.architecture is " + arch + ", only llama is supported");
            }
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (GgufTensorInfo info : g.tensorInfos().values()) {
                tensors.put(info.name(), g.tensor(info.name()));
            }
            Tensor embed = tensors.get("token_embd.weight");
            if (embed == null) {
                throw new WeightsException(path + ": missing tensor token_embd.weight");
            }
            tensors.putIfAbsent("output.weight", embed.withName("output.weight"));
            int dim = g.getPositiveInt("llama.embedding_length");
            int heads = g.getPositiveInt("llama.attention.head_count");
            int kvHeads = g.metadata().containsKey("llama.attention.head_count_kv")
                    ? g.getPositiveInt("llama.attention.head_count_kv") : heads;
            var hp = new ModelTensors.Hyperparameters(dim, g.getPositiveInt("llama.feed_forward_length"),
                    g.getPositiveInt("llama.block_count"), heads, kvHeads, embed.rows(),
                    g.getPositiveInt("llama.context_length"), g.getFloat("llama.rope.freq_base", 10000f),
                    g.getFloat("llama.attention.layer_norm_rms_epsilon", 1e-5f));
            if (embed.cols() != dim) {
                throw new WeightsException(path + ": token_embd.weight has " + embed.cols()
                        + " columns, llama.embedding_length is " + dim);
            }
            checkValues(g, hp);
            checkVocabulary(g, embed.rows());
            checkShapes(path, tensors, hp);
            return new ModelTensors(hp, tensors, g.mappedFile());
        } catch (RuntimeException e) {
            g.close();
            throw e;
        }
    }

    /** Metadata values the forward pass divides by or feeds to exp/pow: finite, positive, consistent. */
    private static void checkValues(GgufFile g, ModelTensors.Hyperparameters hp) {
        Path path = g.path();
        if (hp.dim() % hp.heads() != 0 || (hp.dim() / hp.heads()) % 2 != 0) {
            throw new WeightsException(path + ": llama.embedding_length " + hp.dim()
                    + " is not llama.attention.head_count " + hp.heads() + " times an even head size");
        }
        if (hp.kvHeads() > hp.heads() || hp.heads() % hp.kvHeads() != 0) {
            throw new WeightsException(path + ": llama.attention.head_count " + hp.heads()
                    + " is not a multiple of llama.attention.head_count_kv " + hp.kvHeads());
        }
        String rotary = "llama.rope.dimension_count";
        if (g.metadata().containsKey(rotary) && g.getPositiveInt(rotary) != hp.dim() / hp.heads()) {
            throw new WeightsException(path + ": " + rotary + " is " + g.getPositiveInt(rotary)
                    + ", expected the head size " + hp.dim() / hp.heads() + " (partial RoPE is not supported)");
        }
        if (!(hp.ropeTheta() > 0 && hp.ropeTheta() < Float.POSITIVE_INFINITY)) {
            throw new WeightsException(path + ": llama.rope.freq_base is " + hp.ropeTheta()
                    + ", expected a finite positive number");
        }
        if (!(hp.normEps() > 0 && hp.normEps() < 1)) {
            throw new WeightsException(path + ": llama.attention.layer_norm_rms_epsilon is " + hp.normEps()
                    + ", expected a number in (0, 1)");
        }
    }

    /**
     * The vocabulary ({@code tokenizer.ggml.tokens}, {@code llama.vocab_size}) must have one
     * token per embedding row. llama.cpp requires the same, and its converters pad a
     * vocabulary to a padded embedding with {@code [PADn]} tokens, so real files match; a
     * mismatch would let the sampler pick ids the tokenizer cannot decode, or the tokenizer
     * produce ids the embedding does not have.
     */
    private static void checkVocabulary(GgufFile g, int rows) {
        Object tokens = g.metadata().get("tokenizer.ggml.tokens");
        if (tokens instanceof String[] t && t.length != rows) {
            throw new WeightsException(g.path() + ": vocabulary size " + t.length + " (tokenizer.ggml.tokens) does not"
                    + " match the " + rows + " rows of token_embd.weight");
        }
        if (g.metadata().containsKey("llama.vocab_size") && g.getPositiveInt("llama.vocab_size") != rows) {
            throw new WeightsException(g.path() + ": vocabulary size " + g.getPositiveInt("llama.vocab_size")
                    + " (llama.vocab_size) does not match the " + rows + " rows of token_embd.weight");
        }
    }

    private static void checkShapes(Path path, Map<String, Tensor> t, ModelTensors.Hyperparameters hp) {
        int hs = hp.dim() / hp.heads();
        Set<String> unused = new TreeSet<>(t.keySet());
        for (int l = 0; l < hp.layers(); l++) {
            String p = "blk." + l + ".";
            shape(path, t, p + "attn_norm.weight", 1, hp.dim());
            shape(path, t, p + "ffn_norm.weight", 1, hp.dim());
            shape(path, t, p + "attn_q.weight", hp.heads() * hs, hp.dim());
            shape(path, t, p + "attn_k.weight", hp.kvHeads() * hs, hp.dim());
            shape(path, t, p + "attn_v.weight", hp.kvHeads() * hs, hp.dim());
            shape(path, t, p + "attn_output.weight", hp.dim(), hp.heads() * hs);
            shape(path, t, p + "ffn_gate.weight", hp.hiddenDim(), hp.dim());
            shape(path, t, p + "ffn_up.weight", hp.hiddenDim(), hp.dim());
            shape(path, t, p + "ffn_down.weight", hp.dim(), hp.hiddenDim());
        }
        shape(path, t, "output_norm.weight", 1, hp.dim());
        shape(path, t, "output.weight", hp.vocabSize(), hp.dim());
        unused.remove("token_embd.weight");
        for (int l = 0; l < hp.layers(); l++) {
            for (String n : LAYER_TENSORS) {
                unused.remove("blk." + l + "." + n);
            }
        }
        unused.remove("output_norm.weight");
        unused.remove("output.weight");
        if (!unused.isEmpty()) {
            // An error, not a warning: a tensor this loader does not know (rope_freqs.weight, biases,
            // extra blocks) belongs to a variant it does not implement, so running would be wrong.
            throw new WeightsException(path + ": " + unused.size() + " tensors that a llama model of "
                    + hp.layers() + " blocks does not use: "
                    + String.join(", ", unused.stream().limit(8).toList()) + (unused.size() > 8 ? ", ..." : "")
                    + " (another variant or block count?)");
        }
    }

    private static final String[] LAYER_TENSORS = {"attn_norm.weight", "ffn_norm.weight", "attn_q.weight",
            "attn_k.weight", "attn_v.weight", "attn_output.weight", "ffn_gate.weight", "ffn_up.weight",
            "ffn_down.weight"};

    private static void shape(Path path, Map<String, Tensor> t, String name, int rows, int cols) {
        Tensor x = t.get(name);
        if (x == null) {
            throw new WeightsException(path + ": missing tensor " + name);
        }
        if (x.rows() != rows || x.cols() != cols) {
            throw new WeightsException(path + ": tensor " + name + " is [" + x.rows() + ", " + x.cols()
                    + "], expected [" + rows + ", " + cols + "]");
        }
    }

    public static Tokenizer tokenizer(Path path) {
        try (GgufFile g = GgufFile.open(path)) {
            return tokenizer(g);
        }
    }

    /** The file's {@code tokenizer.chat_template} (a Jinja template), or null when it has none. */
    public static String chatTemplate(GgufFile g) {
        return g.metadata().containsKey(CHAT_TEMPLATE) ? g.get(CHAT_TEMPLATE, String.class) : null;
    }

    private static final String CHAT_TEMPLATE = "tokenizer.chat_template";

    /** The SentencePiece vocabulary of {@code g}, spaces restored from U+2581. */
    public static Tokenizer tokenizer(GgufFile g) {
        String model = g.get("tokenizer.ggml.model", String.class);
        if (!model.equals("llama")) {
            throw new WeightsException(g.path() + ": tokenizer.ggml.model is " + model
                    + ", only llama (SentencePiece) is supported here; GgufTokenizers.open reads gpt2 (BPE) too");
        }
        String[] tokens = g.get("tokenizer.ggml.tokens", String[].class);
        float[] scores = g.metadata().containsKey("tokenizer.ggml.scores")
                ? g.get("tokenizer.ggml.scores", float[].class) : new float[tokens.length];
        if (tokens.length <= Tokenizer.EOS) {
            throw new WeightsException(g.path() + ": tokenizer.ggml.tokens has " + tokens.length
                    + " tokens, expected at least " + (Tokenizer.EOS + 1) + " (<unk>, BOS, EOS)");
        }
        if (scores.length != tokens.length) {
            throw new WeightsException(g.path() + ": tokenizer.ggml.scores has " + scores.length
                    + " entries for " + tokens.length + " tokens");
        }
        byte[][] pieces = new byte[tokens.length][];
        for (int i = 0; i < tokens.length; i++) {
            pieces[i] = tokens[i].replace('\u2581', ' ').getBytes(StandardCharsets.UTF_8);
        }
        return new Tokenizer(pieces, scores);
    }
}
