package numatp.models;

import numatp.models.tokenizer.Llama2cTokenizerFile;
import numatp.models.tokenizer.Tokenizer;
import numatp.weights.ModelTensors;
import numatp.weights.WeightsException;
import numatp.weights.gguf.GgufFile;
import numatp.weights.gguf.GgufTensorInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 19's fuzz suite, on files the test builds (no shared data): seeded mutations of a
 * small GGUF llama model with its vocabulary, of a llama2.c checkpoint and its
 * tokenizer.bin, and random text and ids through loaded tokenizers. Every case must load
 * or fail with the project's exception, never another throwable, a hang or an
 * allocation sized by a hostile length. Each format runs for about two seconds.
 */
class LoaderFuzzTest {
    private static final long BUDGET_NS = 2_000_000_000L;
    private static final int MIN_CASES = 150;
    private static final int MAX_CASES = 20_000;
    private static final int VOCAB = TinyModels.VOCAB;

    @Test
    @Timeout(60)
    void mutatedGgufModelsLoadOrFailWithTheProjectException() throws Exception {
        Path src = Files.createTempFile("fuzzsrc", ".gguf");
        TinyModels.gguf(VOCAB, TinyModels.tokenizer(VOCAB), 11).write(src);
        byte[] valid = Files.readAllBytes(src);
        int headerEnd;
        try (GgufFile g = GgufFile.open(src)) {
            headerEnd = (int) g.dataStart();
        }
        FileMutator mutator = new FileMutator(valid, headerEnd, FileMutator.plausibleU64Fields(valid, headerEnd));
        Path tmp = Files.createTempFile("fuzz", ".gguf");
        Map<String, Integer> counts = FuzzHarness.run("gguf model", FuzzHarness.rootSeed(), BUDGET_NS, MIN_CASES,
                MAX_CASES, (rnd, what) -> {
                    Files.write(tmp, mutator.mutate(rnd, what));
                    namingTheFile(tmp, () -> {
                        try (GgufFile g = GgufFile.open(tmp)) {
                            for (GgufTensorInfo t : g.tensorInfos().values()) {
                                g.tensor(t.name());
                            }
                        }
                        try (ModelTensors m = ModelFiles.open(tmp)) {
                            LlamaConfig c = LlamaConfig.of(m.hp());
                            use(ModelFiles.tokenizer(tmp, null, c.vocabSize()), c, rnd);
                        }
                    });
                });
        assertBothOutcomes(counts);
    }

    @Test
    @Timeout(60)
    void mutatedLlama2cCheckpointsAndTokenizersLoadOrFailWithTheProjectException() throws Exception {
        LlamaConfig shape = TinyModels.config(VOCAB);
        byte[][] checkpoints = {TinyModels.llama2c(shape, true, 12), TinyModels.llama2c(shape, false, 13)};
        byte[] tokenizer = TinyModels.tokenizerBin(TinyModels.tokenizer(VOCAB));
        List<FileMutator.Field> headerFields = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            headerFields.add(new FileMutator.Field(4 * i, 4));
        }
        FileMutator[] checkpointMutators = {new FileMutator(checkpoints[0], 256, headerFields),
                new FileMutator(checkpoints[1], 256, headerFields)};
        FileMutator tokenizerMutator = new FileMutator(tokenizer, tokenizer.length, tokenizerFields(tokenizer));
        Path dir = Files.createTempDirectory("fuzz");
        Path model = dir.resolve("model.bin");
        Path tok = dir.resolve("tokenizer.bin");
        Map<String, Integer> counts = FuzzHarness.run("llama2.c", FuzzHarness.rootSeed(), BUDGET_NS, MIN_CASES,
                MAX_CASES, (rnd, what) -> {
                    int variant = rnd.nextInt(2);
                    boolean mutateModel = rnd.nextBoolean();
                    what.add((variant == 0 ? "shared" : "unshared") + " classifier, mutating the "
                            + (mutateModel ? "checkpoint" : "tokenizer"));
                    Files.write(model, mutateModel ? checkpointMutators[variant].mutate(rnd, what) : checkpoints[variant]);
                    Files.write(tok, mutateModel ? tokenizer : tokenizerMutator.mutate(rnd, what));
                    namingTheFile(mutateModel ? model : tok, () -> {
                        Llama2cTokenizerFile.read(tok, -1);
                        try (ModelTensors m = ModelFiles.open(model)) {
                            LlamaConfig c = LlamaConfig.of(m.hp());
                            use(ModelFiles.tokenizer(model, rnd.nextBoolean() ? tok : null, c.vocabSize()), c, rnd);
                        }
                    });
                });
        assertBothOutcomes(counts);
    }

    @Test
    @Timeout(60)
    void loadedTokenizersEncodeAndDecodeRandomTextAndIds() throws Exception {
        Path gguf = Files.createTempFile("vocab", ".gguf");
        TinyModels.gguf(VOCAB, TinyModels.tokenizer(VOCAB), 14).write(gguf);
        Path bin = Files.createTempFile("tokenizer", ".bin");
        Files.write(bin, TinyModels.tokenizerBin(TinyModels.tokenizer(VOCAB)));
        Tokenizer[] loaded = {ModelFiles.tokenizer(gguf, null, VOCAB), Llama2cTokenizerFile.read(bin, VOCAB)};
        LlamaConfig c = TinyModels.config(VOCAB);
        Map<String, Integer> counts = FuzzHarness.run("tokenizer", FuzzHarness.rootSeed(), BUDGET_NS, MIN_CASES,
                MAX_CASES, (rnd, what) -> {
                    Tokenizer t = loaded[rnd.nextInt(loaded.length)];
                    String text = randomText(rnd);
                    what.add("text " + escape(text));
                    int[] ids = use(t, c, rnd, text);
                    if (text.chars().allMatch(ch -> ch >= 0x20 && ch <= 0x7E)) {
                        // Printable ASCII has a piece or a printable byte token for every character.
                        assertEquals(text, decode(t, ids), "round trip");
                    }
                    int id = switch (rnd.nextInt(3)) {
                        case 0 -> rnd.nextInt();
                        case 1 -> VOCAB + rnd.nextInt(3);
                        default -> -1 - rnd.nextInt(3);
                    };
                    what.add("decode id " + id);
                    int prev = rnd.nextBoolean() ? Tokenizer.BOS : 5;
                    if (id >= 0 && id < VOCAB) {
                        t.decode(prev, id);
                    } else {
                        assertThrows(ModelException.class, () -> t.decode(prev, id), "id " + id);
                    }
                });
        assertEquals(Map.of("ok", counts.get("ok")), counts, "a full byte vocabulary encodes any text");
    }

    /** Encodes a random text and decodes it, checking every id is a row of the model. */
    private static void use(Tokenizer t, LlamaConfig c, SplittableRandom rnd) {
        use(t, c, rnd, randomText(rnd));
    }

    private static int[] use(Tokenizer t, LlamaConfig c, SplittableRandom rnd, String text) {
        int[] ids = t.encode(text, rnd.nextBoolean(), rnd.nextBoolean());
        c.checkTokenIds(ids, "encoded token");
        decode(t, ids);
        for (int i = 0; i < 8; i++) {
            t.decode(rnd.nextInt(c.vocabSize()), rnd.nextInt(c.vocabSize()));
        }
        return ids;
    }

    private static String decode(Tokenizer t, int[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int prev = Tokenizer.BOS;
        for (int id : ids) {
            if (id != Tokenizer.BOS && id != Tokenizer.EOS) {
                out.writeBytes(t.decode(prev, id));
            }
            prev = id;
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** ASCII, pieces of the tiny vocabulary, accents, emoji, any code point, lone surrogates. */
    static String randomText(SplittableRandom rnd) {
        StringBuilder sb = new StringBuilder();
        int len = rnd.nextInt(8) == 0 ? rnd.nextInt(400) : rnd.nextInt(24);
        String[] words = {"the", " and", "a", " ", "  ", "é", "\uD83E\uDD99", "\n", "\t", "<s>", "x1"};
        while (sb.length() < len) {
            switch (rnd.nextInt(5)) {
                case 0 -> sb.append((char) rnd.nextInt(0x20, 0x7F));
                case 1 -> sb.append(words[rnd.nextInt(words.length)]);
                case 2 -> sb.appendCodePoint(rnd.nextInt(0x110000));
                case 3 -> sb.append((char) rnd.nextInt(0xD800, 0xE000));
                default -> sb.append((char) rnd.nextInt(0x80));
            }
        }
        return sb.toString();
    }

    private static String escape(String s) {
        StringBuilder sb = new StringBuilder("\"");
        s.codePoints().forEach(cp -> sb.append(cp >= 0x20 && cp < 0x7F ? Character.toString(cp)
                : String.format("\\u{%x}", cp)));
        return sb.append('"').toString();
    }

    /** The max_token_length field and each token's length field of a tokenizer.bin. */
    private static List<FileMutator.Field> tokenizerFields(byte[] b) {
        List<FileMutator.Field> out = new ArrayList<>(List.of(new FileMutator.Field(0, 4)));
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int at = 4; at + 8 <= b.length; at += 8 + buf.getInt(at + 4)) {
            out.add(new FileMutator.Field(at + 4, 4));
        }
        return out;
    }

    interface Load {
        void run() throws Exception;
    }

    /** Runs {@code load}; a WeightsException must name {@code file} (ModelExceptions from a config need not). */
    private static void namingTheFile(Path file, Load load) throws Exception {
        try {
            load.run();
        } catch (WeightsException e) {
            assertTrue(e.getMessage().contains(file.getFileName().toString()), "does not name " + file + ": " + e);
            throw e;
        }
    }

    private static void assertBothOutcomes(Map<String, Integer> counts) {
        assertTrue(counts.getOrDefault("ok", 0) > 0, "no mutation loaded: " + counts);
        assertTrue(counts.getOrDefault("WeightsException", 0) + counts.getOrDefault("ModelException", 0) > 0,
                "no mutation was refused: " + counts);
    }

    @Test
    void harnessReportsOtherThrowablesWithTheSeedAndTheCase() {
        AssertionError e = assertThrows(AssertionError.class, () -> FuzzHarness.run("self-test", 42, 0, 1, 1,
                (rnd, what) -> {
                    what.add("the case");
                    throw new IndexOutOfBoundsException("boom");
                }));
        assertTrue(e.getMessage().contains("-Dnumatp.fuzz.seed=42") && e.getMessage().contains("the case"),
                e.getMessage());
    }
}
