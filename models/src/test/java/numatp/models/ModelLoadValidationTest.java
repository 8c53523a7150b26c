package numatp.models;

import numatp.models.tokenizer.Llama2cTokenizerFile;
import numatp.models.tokenizer.Tokenizer;
import numatp.topology.NumatpException;
import numatp.weights.ModelTensors;
import numatp.weights.TensorType;
import numatp.weights.WeightsException;
import numatp.weights.gguf.GgufWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue 19: a model whose files disagree, or whose metadata is out of range, is refused at load, with context. */
class ModelLoadValidationTest {
    private static final int ROWS = TinyModels.VOCAB;

    @Test
    void matchingGgufVocabularyLoadsAndRoundTrips() throws Exception {
        Path file = write(TinyModels.gguf(ROWS, TinyModels.tokenizer(ROWS), 1));
        try (ModelTensors m = ModelFiles.open(file)) {
            Tokenizer tok = ModelFiles.tokenizer(file, null, m.hp().vocabSize());
            assertEquals(ROWS, tok.vocabSize());
            int[] ids = tok.encode("the cat", true, false);
            LlamaConfig.of(m.hp()).checkTokenIds(ids, "prompt token");
        }
    }

    @Test
    void ggufVocabularyShorterThanTheEmbeddingIsRefused() throws Exception {
        Path file = write(TinyModels.gguf(ROWS, TinyModels.tokenizer(ROWS - 4), 2));
        expect(WeightsException.class, () -> ModelFiles.open(file).close(), file.toString(), "vocabulary size 296",
                "300 rows of token_embd.weight");
        expect(ModelException.class, () -> ModelFiles.tokenizer(file, null, ROWS), file.toString(),
                "vocabulary size 296", "300 token embedding rows");
    }

    @Test
    void ggufVocabularyLongerThanTheEmbeddingIsRefused() throws Exception {
        Path file = write(TinyModels.gguf(ROWS - 4, TinyModels.tokenizer(ROWS), 3));
        expect(WeightsException.class, () -> ModelFiles.open(file).close(), file.toString(), "vocabulary size 300",
                "296 rows of token_embd.weight");
    }

    @Test
    void ggufVocabSizeKeyMustMatchTheEmbedding() throws Exception {
        Path file = write(TinyModels.gguf(ROWS, TinyModels.tokenizer(ROWS), 4).putU32("llama.vocab_size", 320));
        expect(WeightsException.class, () -> ModelFiles.open(file).close(), "llama.vocab_size", "320", "300 rows");
    }

    @Test
    void llama2cTokenizerLongerOrShorterThanTheModelIsRefused() throws Exception {
        Path tok = Files.createTempFile("tok", ".bin");
        Files.write(tok, TinyModels.tokenizerBin(TinyModels.tokenizer(ROWS)));
        assertEquals(ROWS, Llama2cTokenizerFile.read(tok, ROWS).vocabSize());
        expect(ModelException.class, () -> Llama2cTokenizerFile.read(tok, ROWS - 1), tok.toString(),
                "longer than the model's vocabulary of 299");
        expect(ModelException.class, () -> Llama2cTokenizerFile.read(tok, ROWS + 1), tok.toString(), "truncated",
                "model vocabulary has 301");
    }

    @Test
    void decodeAndPieceRefuseIdsOutsideTheVocabulary() {
        Tokenizer tok = TinyModels.tokenizer(ROWS);
        for (int id : new int[] {-1, ROWS, Integer.MAX_VALUE, Integer.MIN_VALUE}) {
            expect(ModelException.class, () -> tok.decode(Tokenizer.BOS, id), "token id " + id, "[0, 300)");
            expect(ModelException.class, () -> tok.decode(5, id), "token id " + id);
            expect(ModelException.class, () -> tok.piece(id), "token id " + id);
            expect(ModelException.class, () -> tok.score(id), "token id " + id);
        }
    }

    @Test
    void vocabularyWithoutBosAndEosIsRefused() {
        // One piece: encode(" ", true, false) merged BOS (id 1) and indexed past the vocabulary.
        expect(ModelException.class, () -> new Tokenizer(new byte[][] {{' '}}, new float[1]), "1 pieces",
                "at least 3");
    }

    @Test
    void promptIdsAreCheckedAgainstTheEmbeddingRows() {
        LlamaConfig c = TinyModels.config(ROWS);
        c.checkTokenIds(new int[] {0, 1, ROWS - 1}, "prompt token");
        expect(ModelException.class, () -> c.checkTokenIds(new int[] {1, ROWS}, "prompt token"),
                "prompt token 1 is 300", "[0, 300)");
        expect(ModelException.class, () -> c.checkTokenIds(new int[] {-7}, "stop token"), "stop token 0 is -7");
    }

    @Test
    void ropeThetaAndNormEpsilonMustBeFiniteAndPositive() throws Exception {
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -1f, 0f}) {
            Path theta = write(tiny(5).putF32("llama.rope.freq_base", bad));
            expect(WeightsException.class, () -> ModelFiles.open(theta).close(), theta.toString(),
                    "llama.rope.freq_base is " + bad);
            Path eps = write(tiny(5).putF32("llama.attention.layer_norm_rms_epsilon", bad));
            expect(WeightsException.class, () -> ModelFiles.open(eps).close(), eps.toString(),
                    "llama.attention.layer_norm_rms_epsilon is " + bad);
            expect(ModelException.class, () -> new LlamaConfig(16, 32, 2, 4, 2, 10, 32, bad, 1e-5f), "RoPE theta");
            expect(ModelException.class, () -> new LlamaConfig(16, 32, 2, 4, 2, 10, 32, 1e4f, bad), "epsilon");
        }
    }

    @Test
    void headCountsMustDivideTheWidth() throws Exception {
        Path kv = write(tiny(6).putU32("llama.attention.head_count_kv", 3));
        expect(WeightsException.class, () -> ModelFiles.open(kv).close(), "head_count 4 is not a multiple of"
                + " llama.attention.head_count_kv 3");
        Path heads = write(tiny(6).putU32("llama.attention.head_count", 3).putU32("llama.attention.head_count_kv", 3));
        expect(WeightsException.class, () -> ModelFiles.open(heads).close(), "llama.embedding_length 16",
                "head_count 3");
        Path rotary = write(tiny(6).putU32("llama.rope.dimension_count", 2));
        expect(WeightsException.class, () -> ModelFiles.open(rotary).close(), "llama.rope.dimension_count is 2");
    }

    @Test
    void tensorsTheModelDoesNotUseAreRefused() throws Exception {
        // A Q bias belongs to qwen2, not to a llama file.
        Path file = write(tiny(7).addTensor("blk.0.attn_q.bias", TensorType.F32, new long[] {16},
                MemorySegment.ofArray(new byte[64])));
        expect(WeightsException.class, () -> ModelFiles.open(file).close(), file.toString(), "1 tensors",
                "blk.0.attn_q.bias", "llama model");
        Path extraBlock = write(tiny(7).putU32("llama.block_count", 1));
        expect(WeightsException.class, () -> ModelFiles.open(extraBlock).close(), "9 tensors",
                "blk.1.attn_k.weight");
    }

    @Test
    void llama3RopeFactorsAreReadAndMustHaveOnePerFrequency() throws Exception {
        // Head size 4: two frequencies.
        Path good = write(tiny(8).addTensor("rope_freqs.weight", TensorType.F32, new long[] {2},
                MemorySegment.ofArray(new byte[8])));
        ModelFiles.open(good).close();
        Path wrong = write(tiny(8).addTensor("rope_freqs.weight", TensorType.F32, new long[] {3},
                MemorySegment.ofArray(new byte[12])));
        expect(WeightsException.class, () -> ModelFiles.open(wrong).close(), "rope_freqs.weight", "[1, 3]",
                "expected [1, 2]");
    }

    @Test
    void otherArchitecturesFailNamingTheArchitecture() throws Exception {
        Path file = write(tiny(9).putString("general.architecture", "phi3"));
        expect(WeightsException.class, () -> ModelFiles.open(file).close(), file.toString(),
                "general.architecture is phi3", "unsupported architecture", "llama, qwen2, qwen3");
    }

    private static GgufWriter tiny(long seed) {
        return TinyModels.gguf(ROWS, TinyModels.tokenizer(ROWS), seed);
    }

    static Path write(GgufWriter w) throws Exception {
        Path file = Files.createTempFile("model", ".gguf");
        w.write(file);
        return file;
    }

    private static void expect(Class<? extends NumatpException> type, Executable call, String... parts) {
        NumatpException e = assertThrows(type, call);
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "'" + p + "' not in: " + e.getMessage());
        }
    }
}
