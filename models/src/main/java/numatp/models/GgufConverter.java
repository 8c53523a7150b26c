package numatp.models;

import numatp.models.tokenizer.Tokenizer;
import numatp.weights.ModelTensors;
import numatp.weights.Quantize;
import numatp.weights.Tensor;
import numatp.weights.TensorType;
import numatp.weights.gguf.GgufWriter;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

/**
 * Writes a model (from any format) as a GGUF llama file: {@code llama.*} keys, the
 * SentencePiece vocabulary (spaces as U+2581) and the tensors under their GGUF names,
 * matrices re-encoded as {@code matrixType} (norms stay f32). A shared classifier is
 * written once, as token_embd.weight. Q/K rows are copied as they are: llama2.c and
 * GGUF llama both use the adjacent-pair RoPE layout.
 */
public final class GgufConverter {
    private GgufConverter() {
    }

    public static void write(ModelTensors model, Tokenizer tokenizer, TensorType matrixType, Path out) {
        writer(model, tokenizer, matrixType).write(out);
    }

    /** The writer {@link #write} uses, for tests that change a key or a tensor before writing. */
    public static GgufWriter writer(ModelTensors model, Tokenizer tokenizer, TensorType matrixType) {
        var hp = model.hp();
        GgufWriter w = new GgufWriter()
                .putString("general.architecture", "llama")
                .putString("general.name", "numatp-converted")
                .putU32("llama.context_length", hp.contextLength())
                .putU32("llama.embedding_length", hp.dim())
                .putU32("llama.feed_forward_length", hp.hiddenDim())
                .putU32("llama.block_count", hp.layers())
                .putU32("llama.attention.head_count", hp.heads())
                .putU32("llama.attention.head_count_kv", hp.kvHeads())
                .putU32("llama.rope.dimension_count", hp.dim() / hp.heads())
                .putF32("llama.rope.freq_base", hp.ropeTheta())
                .putF32("llama.attention.layer_norm_rms_epsilon", hp.normEps());
        if (tokenizer != null) {
            int n = tokenizer.vocabSize();
            String[] tokens = new String[n];
            float[] scores = new float[n];
            int[] types = new int[n];
            for (int i = 0; i < n; i++) {
                String piece = new String(tokenizer.piece(i), StandardCharsets.UTF_8);
                tokens[i] = piece.replace(' ', '\u2581');
                scores[i] = tokenizer.score(i);
                // sentencepiece token types: 1 normal, 2 unknown, 3 control, 6 byte
                types[i] = i == 0 ? 2 : i <= 2 ? 3 : piece.matches("<0x[0-9A-F]{2}>") ? 6 : 1;
            }
            putSentencePieceVocabulary(w, tokens, scores, types);
        }
        Map<String, Tensor> tensors = model.tensors();
        boolean tied = tensors.get("output.weight").data().equals(tensors.get("token_embd.weight").data());
        for (Tensor t : tensors.values()) {
            if (tied && t.name().equals("output.weight")) {
                continue;
            }
            boolean vector = t.name().endsWith("_norm.weight");
            TensorType type = vector || t.cols() % matrixType.blockElements() != 0 ? TensorType.F32 : matrixType;
            long[] dims = vector ? new long[] {t.cols()} : new long[] {t.cols(), t.rows()};
            w.addTensor(t.name(), type, dims, encode(t, type));
        }
        return w;
    }

    private static MemorySegment encode(Tensor t, TensorType type) {
        if (t.type() == type) {
            return t.data();
        }
        float[] values = new float[t.rows() * t.cols()];
        for (int r = 0; r < t.rows(); r++) {
            for (int c = 0; c < t.cols(); c++) {
                values[r * t.cols() + c] = t.get(r, c);
            }
        }
        return Quantize.encode(type, values);
    }

    /** A {@code llama} (SentencePiece) vocabulary as GGUF keys: pieces, scores, token types, BOS 1, EOS 2, unknown 0. */
    static void putSentencePieceVocabulary(GgufWriter w, String[] tokens, float[] scores, int[] types) {
        w.putString("tokenizer.ggml.model", "llama")
                .putStrings("tokenizer.ggml.tokens", tokens)
                .putF32s("tokenizer.ggml.scores", scores)
                .putI32s("tokenizer.ggml.token_type", types)
                .putU32("tokenizer.ggml.bos_token_id", Tokenizer.BOS)
                .putU32("tokenizer.ggml.eos_token_id", Tokenizer.EOS)
                .putU32("tokenizer.ggml.unknown_token_id", 0);
    }
}
