package numatp.models;

import numatp.models.tokenizer.Tokenizer;
import numatp.weights.ModelTensors;
import numatp.weights.Tensor;
import numatp.weights.TensorType;
import numatp.weights.WeightsException;
import numatp.weights.gguf.GgufFile;
import numatp.weights.gguf.GgufTensorInfo;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * GGUF models of the Llama family and their vocabularies ({@code tokenizer.ggml.*}, model
 * "llama": SentencePiece pieces with U+2581 for spaces). {@code general.architecture} may be
 * <ul>
 * <li>{@code llama}: Llama 2, Llama 3/3.1/3.2 (an optional {@code rope_freqs.weight} of
 *     per-frequency RoPE divisors), Mistral; Q/K rows already in the adjacent-pair RoPE layout
 *     llama2.c uses (the HF converter permutes them), so no permutation happens here;</li>
 * <li>{@code qwen2}: Q/K/V biases ({@code attn_q.bias}, ...), rotate-half RoPE;</li>
 * <li>{@code qwen3}: per-head RMSNorm of Q and K ({@code attn_q_norm.weight},
 *     {@code attn_k_norm.weight}) before rotate-half RoPE, head size from
 *     {@code qwen3.attention.key_length}, no biases.</li>
 * </ul>
 * Keys are read under the architecture's prefix ({@code qwen2.embedding_length}). Any other
 * architecture, and any tensor the architecture does not use, fails naming the file.
 * A missing {@code output.weight} means tied embeddings: the token embedding serves.
 */
public final class GgufModels {
    /** The architectures {@link #open} runs. */
    public static final List<String> ARCHITECTURES = List.of("llama", "qwen2", "qwen3");

    private GgufModels() {
    }

    public static ModelTensors open(Path path) {
        GgufFile g = GgufFile.open(path);
        try {
            String arch = g.get("general.architecture", String.class);
            if (!ARCHITECTURES.contains(arch)) {
                throw new WeightsException(path + ": general.architecture is " + arch + ": unsupported architecture"
                        + " (numatp runs " + String.join(", ", ARCHITECTURES) + ")");
            }
            String k = arch + ".";
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (GgufTensorInfo info : g.tensorInfos().values()) {
                tensors.put(info.name(), g.tensor(info.name()));
            }
            Tensor embed = tensors.get("token_embd.weight");
            if (embed == null) {
                throw new WeightsException(path + ": missing tensor token_embd.weight");
            }
            tensors.putIfAbsent("output.weight", embed.withName("output.weight"));
            int dim = g.getPositiveInt(k + "embedding_length");
            int heads = g.getPositiveInt(k + "attention.head_count");
            int kvHeads = g.metadata().containsKey(k + "attention.head_count_kv")
                    ? g.getPositiveInt(k + "attention.head_count_kv") : heads;
            int headSize = headSize(g, k, dim, heads);
            var hp = new ModelTensors.Hyperparameters(dim, g.getPositiveInt(k + "feed_forward_length"),
                    g.getPositiveInt(k + "block_count"), heads, kvHeads, embed.rows(),
                    g.getPositiveInt(k + "context_length"), g.getFloat(k + "rope.freq_base", 10000f),
                    g.getFloat(k + "attention.layer_norm_rms_epsilon", 1e-5f), headSize, arch);
            if (embed.cols() != dim) {
                throw new WeightsException(path + ": token_embd.weight has " + embed.cols()
                        + " columns, " + k + "embedding_length is " + dim);
            }
            checkValues(g, hp);
            checkVocabulary(g, k, embed.rows());
            checkShapes(path, tensors, hp);
            return new ModelTensors(hp, tensors, g.mappedFile());
        } catch (RuntimeException e) {
            g.close();
            throw e;
        }
    }

    /**
     * {@code attention.key_length} (which must equal {@code value_length} when both are given),
     * else {@code embedding_length / head_count}, which must then divide evenly.
     */
    private static int headSize(GgufFile g, String k, int dim, int heads) {
        String key = k + "attention.key_length";
        String value = k + "attention.value_length";
        if (g.metadata().containsKey(key)) {
            int hs = g.getPositiveInt(key);
            if (g.metadata().containsKey(value) && g.getPositiveInt(value) != hs) {
                throw new WeightsException(g.path() + ": " + value + " " + g.getPositiveInt(value) + " differs from "
                        + key + " " + hs + " (unsupported)");
            }
            if (hs % 2 != 0) {
                throw new WeightsException(g.path() + ": " + key + " is " + hs + ", expected an even head size");
            }
            return hs;
        }
        if (dim % heads != 0 || (dim / heads) % 2 != 0) {
            throw new WeightsException(g.path() + ": " + k + "embedding_length " + dim
                    + " is not " + k + "attention.head_count " + heads + " times an even head size");
        }
        return dim / heads;
    }

    /** Metadata values the forward pass divides by or feeds to exp/pow: finite, positive, consistent. */
    private static void checkValues(GgufFile g, ModelTensors.Hyperparameters hp) {
        Path path = g.path();
        String k = hp.architecture() + ".";
        if (hp.kvHeads() > hp.heads() || hp.heads() % hp.kvHeads() != 0) {
            throw new WeightsException(path + ": " + k + "attention.head_count " + hp.heads()
                    + " is not a multiple of " + k + "attention.head_count_kv " + hp.kvHeads());
        }
        String rotary = k + "rope.dimension_count";
        if (g.metadata().containsKey(rotary) && g.getPositiveInt(rotary) != hp.headSize()) {
            throw new WeightsException(path + ": " + rotary + " is " + g.getPositiveInt(rotary)
                    + ", expected the head size " + hp.headSize() + " (partial RoPE is not supported)");
        }
        if (!(hp.ropeTheta() > 0 && hp.ropeTheta() < Float.POSITIVE_INFINITY)) {
            throw new WeightsException(path + ": " + k + "rope.freq_base is " + hp.ropeTheta()
                    + ", expected a finite positive number");
        }
        if (!(hp.normEps() > 0 && hp.normEps() < 1)) {
            throw new WeightsException(path + ": " + k + "attention.layer_norm_rms_epsilon is " + hp.normEps()
                    + ", expected a number in (0, 1)");
        }
        String scaling = k + "rope.scaling.type";
        if (g.metadata().containsKey(scaling) && !"none".equals(g.metadata().get(scaling))) {
            throw new WeightsException(path + ": " + scaling + " is " + g.metadata().get(scaling)
                    + ": unsupported RoPE scaling (numatp supports none, and Llama 3's rope_freqs.weight)");
        }
    }

    /**
     * The vocabulary ({@code tokenizer.ggml.tokens}, {@code <arch>.vocab_size}) must have one
     * token per embedding row. llama.cpp requires the same, and its converters pad a
     * vocabulary to a padded embedding with {@code [PADn]} tokens, so real files match; a
     * mismatch would let the sampler pick ids the tokenizer cannot decode, or the tokenizer
     * produce ids the embedding does not have.
     */
    private static void checkVocabulary(GgufFile g, String k, int rows) {
        Object tokens = g.metadata().get("tokenizer.ggml.tokens");
        if (tokens instanceof String[] t && t.length != rows) {
            throw new WeightsException(g.path() + ": vocabulary size " + t.length + " (tokenizer.ggml.tokens) does not"
                    + " match the " + rows + " rows of token_embd.weight");
        }
        if (g.metadata().containsKey(k + "vocab_size") && g.getPositiveInt(k + "vocab_size") != rows) {
            throw new WeightsException(g.path() + ": vocabulary size " + g.getPositiveInt(k + "vocab_size")
                    + " (" + k + "vocab_size) does not match the " + rows + " rows of token_embd.weight");
        }
    }

    private static void checkShapes(Path path, Map<String, Tensor> t, ModelTensors.Hyperparameters hp) {
        int hs = hp.headSize();
        int q = hp.heads() * hs;
        int kv = hp.kvHeads() * hs;
        String arch = hp.architecture();
        Set<String> unused = new TreeSet<>(t.keySet());
        for (int l = 0; l < hp.layers(); l++) {
            String p = "blk." + l + ".";
            shape(path, t, p + "attn_norm.weight", 1, hp.dim());
            shape(path, t, p + "ffn_norm.weight", 1, hp.dim());
            shape(path, t, p + "attn_q.weight", q, hp.dim());
            shape(path, t, p + "attn_k.weight", kv, hp.dim());
            shape(path, t, p + "attn_v.weight", kv, hp.dim());
            shape(path, t, p + "attn_output.weight", hp.dim(), q);
            shape(path, t, p + "ffn_gate.weight", hp.hiddenDim(), hp.dim());
            shape(path, t, p + "ffn_up.weight", hp.hiddenDim(), hp.dim());
            shape(path, t, p + "ffn_down.weight", hp.dim(), hp.hiddenDim());
            for (String n : LAYER_TENSORS) {
                unused.remove(p + n);
            }
            if (arch.equals("qwen2")) {
                vector(path, t, p + "attn_q.bias", q);
                vector(path, t, p + "attn_k.bias", kv);
                vector(path, t, p + "attn_v.bias", kv);
                unused.removeAll(List.of(p + "attn_q.bias", p + "attn_k.bias", p + "attn_v.bias"));
            }
            if (arch.equals("qwen3")) {
                vector(path, t, p + "attn_q_norm.weight", hs);
                vector(path, t, p + "attn_k_norm.weight", hs);
                unused.removeAll(List.of(p + "attn_q_norm.weight", p + "attn_k_norm.weight"));
            }
        }
        shape(path, t, "output_norm.weight", 1, hp.dim());
        shape(path, t, "output.weight", hp.vocabSize(), hp.dim());
        unused.remove("token_embd.weight");
        unused.remove("output_norm.weight");
        unused.remove("output.weight");
        if (arch.equals("llama") && t.containsKey(ROPE_FREQS)) {
            vector(path, t, ROPE_FREQS, hs / 2);
            if (t.get(ROPE_FREQS).type() != TensorType.F32) {
                throw new WeightsException(path + ": tensor " + ROPE_FREQS + " is " + t.get(ROPE_FREQS).type()
                        + ", expected F32");
            }
            unused.remove(ROPE_FREQS);
        }
        if (!unused.isEmpty()) {
            // An error, not a warning: a tensor this loader does not know (biases on a llama file,
            // extra blocks) belongs to a variant it does not implement, so running would be wrong.
            throw new WeightsException(path + ": " + unused.size() + " tensors that a " + arch + " model of "
                    + hp.layers() + " blocks does not use: "
                    + String.join(", ", unused.stream().limit(8).toList()) + (unused.size() > 8 ? ", ..." : "")
                    + " (another variant or block count?)");
        }
    }

    /** Llama 3.1/3.2's per-frequency RoPE divisors, [headSize / 2] f32. */
    public static final String ROPE_FREQS = "rope_freqs.weight";

    private static final String[] LAYER_TENSORS = {"attn_norm.weight", "ffn_norm.weight", "attn_q.weight",
            "attn_k.weight", "attn_v.weight", "attn_output.weight", "ffn_gate.weight", "ffn_up.weight",
            "ffn_down.weight"};

    /** A one-dimensional tensor of {@code n} values (GGUF stores it as [1, n]). */
    private static void vector(Path path, Map<String, Tensor> t, String name, int n) {
        shape(path, t, name, 1, n);
    }

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
