package numatp.models;

import numatp.models.tokenizer.Llama2cTokenizerFile;
import numatp.models.tokenizer.Tokenizer;
import numatp.models.tp.TpEngine;
import numatp.weights.ArenaSliceAllocator;
import numatp.weights.ModelTensors;
import numatp.weights.TensorType;
import numatp.weights.WeightsException;
import numatp.weights.gguf.GgufFile;
import numatp.weights.gguf.GgufWriter;
import numatp.weights.llama2c.Llama2cCheckpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GgufModelsTest {
    /** llama.cpp's Llama SentencePiece vocabulary; the calling test is skipped when ../shared is absent. */
    static Path vocab() {
        return SharedModels.dir().resolve("gguf-vocab/ggml-vocab-llama-spm.gguf");
    }

    @Test
    void ggufVocabularyTokenizesLlamaCppTestVectors() throws Exception {
        Tokenizer tok = GgufModels.tokenizer(vocab());
        assertEquals(32000, tok.vocabSize());
        String inp = Files.readString(Path.of(vocab() + ".inp"), StandardCharsets.UTF_8);
        List<String> texts = new ArrayList<>(Arrays.asList(inp.split("\n__ggml_vocab_test__\n", -1)));
        texts.removeLast(); // the file ends with a separator
        List<String> outs = Files.readAllLines(Path.of(vocab() + ".out"));
        assertEquals(texts.size(), outs.size());
        for (int i = 0; i < texts.size(); i++) {
            int[] expected = outs.get(i).isBlank() ? new int[0]
                    : Arrays.stream(outs.get(i).trim().split("\\s+")).mapToInt(Integer::parseInt).toArray();
            int[] got = tok.encode(texts.get(i), false, false);
            assertArrayEquals(expected, got, "test vector " + i + ": '" + texts.get(i) + "'");
        }
    }

    @Test
    void chatTemplateIsReadFromGgufMetadata() throws Exception {
        Path withTemplate = Files.createTempFile("chat", ".gguf");
        String jinja = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n'}}{% endfor %}";
        new GgufWriter().putString("general.architecture", "llama").putString("tokenizer.chat_template", jinja)
                .write(withTemplate);
        assertEquals(jinja, ModelFiles.chatTemplate(withTemplate));
        assertNull(ModelFiles.chatTemplate(vocab()));
        assertNull(ModelFiles.chatTemplate(SharedModels.stories()));
        Path wrongType = Files.createTempFile("chat", ".gguf");
        new GgufWriter().putU32("tokenizer.chat_template", 7).write(wrongType);
        WeightsException e = assertThrows(WeightsException.class, () -> ModelFiles.chatTemplate(wrongType));
        assertTrue(e.getMessage().contains(wrongType.toString()) && e.getMessage().contains("tokenizer.chat_template"),
                e.getMessage());
    }

    @Test
    @Timeout(60)
    void convertedStoriesGeneratesTheSameTokens() throws Exception {
        Path out = Files.createTempFile("stories", ".gguf");
        try (ModelTensors bin = Llama2cCheckpoint.load(SharedModels.stories())) {
            Tokenizer tok = Llama2cTokenizerFile.read(SharedModels.tok512(), 512);
            GgufConverter.write(bin, tok, TensorType.F32, out);
        }
        int[] expected = Arrays.stream(Files.readString(SharedModels.dir().resolve("stories260K_t0_n200.ids.txt"))
                .trim().split("\\s+")).mapToInt(Integer::parseInt).toArray();
        try (ModelTensors gguf = ModelFiles.open(out); Arena arena = Arena.ofShared();
             TpEngine engine = new TpEngine(gguf, 2, 200, new ArenaSliceAllocator(arena), null)) {
            Tokenizer tok = ModelFiles.tokenizer(out, null, 512);
            assertEquals(new String(Llama2cTokenizerFile.read(SharedModels.tok512(), 512).piece(300)),
                    new String(tok.piece(300)));
            List<Integer> ids = new ArrayList<>();
            engine.generate(new int[] {1}, 200, new TpEngine.Sampling(0f, 0.9f, 0, 1), (p, n) -> ids.add(n));
            assertArrayEquals(expected, ids.stream().mapToInt(Integer::intValue).toArray());
        }
    }

    /** Seeded mutations (bytes, u64 fields, truncation) of real GGUF files: load or a WeightsException naming the file. */
    @Test
    @Timeout(120)
    void hostileGgufFilesFailCleanly() throws Exception {
        long seed = new SplittableRandom().nextLong();
        System.out.println("GgufModelsTest fuzz seed=" + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        Path conv = Files.createTempFile("fuzzsrc", ".gguf");
        try (ModelTensors bin = Llama2cCheckpoint.load(SharedModels.stories())) {
            GgufConverter.write(bin, Llama2cTokenizerFile.read(SharedModels.tok512(), 512), TensorType.Q8_0, conv);
        }
        byte[][] sources = {Files.readAllBytes(vocab()), Files.readAllBytes(conv)};
        Path tmp = Files.createTempFile("fuzz", ".gguf");
        int failures = 0;
        for (int i = 0; i < 150; i++) {
            byte[] src = sources[i % 2];
            // Most of the interest is in the header: mutate mostly within the first 64 KiB.
            int headerEnd = Math.min(src.length, i % 2 == 0 ? src.length : 20_000);
            byte[] b = Arrays.copyOf(src, rnd.nextInt(8) == 0 ? rnd.nextInt(src.length) : src.length);
            int mutations = 1 + rnd.nextInt(4);
            for (int k = 0; k < mutations && b.length > 16; k++) {
                int at = rnd.nextInt(Math.min(b.length, headerEnd) - 8);
                switch (rnd.nextInt(3)) {
                    case 0 -> b[at] = (byte) rnd.nextInt(256);
                    case 1 -> {
                        long v = rnd.nextBoolean() ? -1L : rnd.nextLong();
                        for (int j = 0; j < 8; j++) {
                            b[at + j] = (byte) (v >>> (8 * j));
                        }
                    }
                    default -> b[8 + rnd.nextInt(16)] = (byte) rnd.nextInt(256); // the counts
                }
            }
            Files.write(tmp, b);
            try {
                if (i % 2 == 0) {
                    try (GgufFile g = GgufFile.open(tmp)) {
                        GgufModels.tokenizer(g);
                    }
                } else {
                    try (ModelTensors m = ModelFiles.open(tmp)) {
                        LlamaConfig.of(m.hp());
                    }
                }
            } catch (WeightsException | ModelException e) {
                failures++;
                assertTrue(e.getMessage().contains(tmp.toString()) || e instanceof ModelException,
                        e.getMessage() + " (seed " + seed + ")");
            }
        }
        assertTrue(failures > 0, "no mutation was rejected (seed " + seed + ")");
    }

    @Test
    void headerErrorsNameFileAndOffset() throws Exception {
        Path tmp = Files.createTempFile("bad", ".gguf");
        byte[] b = Files.readAllBytes(vocab());
        Files.write(tmp, Arrays.copyOf(b, 3));
        assertMessage(tmp, "truncated at offset 0");
        byte[] magic = b.clone();
        magic[0] = 'X';
        Files.write(tmp, magic);
        assertMessage(tmp, "bad magic");
        byte[] count = b.clone();
        Arrays.fill(count, 16, 24, (byte) 0x7F); // metadata count
        Files.write(tmp, count);
        assertMessage(tmp, "metadata count");
        Files.write(tmp, Arrays.copyOf(b, b.length / 2));
        assertMessage(tmp, "truncated at offset");
    }

    private static void assertMessage(Path file, String part) {
        try (GgufFile g = GgufFile.open(file)) {
            throw new AssertionError("expected an error for " + file + ", opened " + g.tensorInfos().size());
        } catch (WeightsException e) {
            assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains(part), e.getMessage());
        }
    }
}
