package numatp.models.tokenizer;

import numatp.models.GgufTokenizers;
import numatp.models.ModelException;
import numatp.topology.SharedData;
import numatp.weights.gguf.GgufFile;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * llama.cpp's own tokenizer test vectors ({@code ggml-vocab-X.gguf.inp} / {@code .out}
 * beside the vocabularies in ../shared/models/gguf-vocab): every input tokenized without
 * BOS/EOS and without parsing control tokens (as llama.cpp's test-tokenizer-0 does) must
 * give exactly the expected ids, for every vocabulary whose tokenizer numatp reads; the
 * others must be refused as unsupported. {@code llama-bpe} has no vocabulary beside its
 * vectors: {@code llama3-bpe-rebuilt.gguf} (the real Llama 3 vocabulary) stands in.
 */
class LlamaCppVocabVectorsTest {
    static final Path DIR = SharedData.dir().resolve("models").resolve("gguf-vocab"); // required by the factory
    private static final String SEPARATOR = "\n__ggml_vocab_test__\n";
    private static final Set<String> SUPPORTED = Set.of("llama", "gpt2");

    @TestFactory
    Stream<DynamicTest> everyVocabularyMatchesLlamaCppOrIsRefused() throws IOException {
        SharedData.require("models", "gguf-vocab");
        List<Path> inputs;
        try (Stream<Path> s = Files.list(DIR)) {
            inputs = s.filter(p -> p.getFileName().toString().endsWith(".gguf.inp")).sorted().toList();
        }
        assertTrue(inputs.size() >= 10, "expected llama.cpp's test vectors in " + DIR + ", found " + inputs.size());
        // llama.cpp ships vectors for vocabularies that are not in the folder: name them, test the rest
        List<Path> withoutVocabulary = inputs.stream().filter(inp -> !Files.isRegularFile(vocabularyOf(inp))).toList();
        System.out.println("LlamaCppVocabVectorsTest: no vocabulary file beside " + withoutVocabulary.stream()
                .map(p -> p.getFileName().toString()).toList());
        return inputs.stream().filter(inp -> Files.isRegularFile(vocabularyOf(inp))).map(inp -> {
            String name = inp.getFileName().toString().replace(".inp", "");
            return DynamicTest.dynamicTest(name, () -> check(inp, name));
        });
    }

    /** The vocabulary llama.cpp's vectors {@code inp} are for; the rebuilt Llama 3 one stands in for llama-bpe. */
    private static Path vocabularyOf(Path inp) {
        String name = inp.getFileName().toString().replace(".inp", "");
        return DIR.resolve(name.equals("ggml-vocab-llama-bpe.gguf") ? "llama3-bpe-rebuilt.gguf" : name);
    }

    private static void check(Path inp, String name) throws IOException {
        Path vocab = vocabularyOf(inp);
        String model;
        try (GgufFile g = GgufFile.open(vocab)) {
            model = g.get("tokenizer.ggml.model", String.class);
        }
        if (!SUPPORTED.contains(model)) {
            Path v = vocab;
            ModelException e = assertThrows(ModelException.class, () -> GgufTokenizers.open(v));
            assertTrue(e.getMessage().contains("unsupported") && e.getMessage().contains(model)
                    && e.getMessage().contains(name), e.getMessage());
            return;
        }
        TextTokenizer tok = GgufTokenizers.open(vocab);
        List<String> texts = readInputs(inp);
        List<int[]> expected = readOutputs(inp.resolveSibling(name + ".out"));
        assertEquals(texts.size(), expected.size(), name + ": inputs and outputs differ in count");
        List<String> wrong = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            int[] got = tok.encode(texts.get(i), false, false);
            if (!Arrays.equals(expected.get(i), got)) {
                wrong.add("case " + i + " " + quote(texts.get(i)) + ": expected " + Arrays.toString(expected.get(i))
                        + ", got " + Arrays.toString(got));
            }
        }
        System.out.printf("%s (%s): %d of %d cases match llama.cpp%n", name, model, texts.size() - wrong.size(),
                texts.size());
        assertTrue(wrong.isEmpty(), name + ": " + wrong.size() + " of " + texts.size() + " cases differ:\n"
                + String.join("\n", wrong));
    }

    /** The inputs as llama.cpp's test reads them: each ends with the separator line. */
    static List<String> readInputs(Path inp) throws IOException {
        String all = Files.readString(inp, StandardCharsets.UTF_8);
        List<String> out = new ArrayList<>();
        int at = 0;
        while (at < all.length()) {
            int next = all.indexOf(SEPARATOR, at);
            if (next < 0) {
                throw new AssertionError(inp + ": no separator after offset " + at);
            }
            out.add(all.substring(at, next));
            at = next + SEPARATOR.length();
        }
        return out;
    }

    /** One line of space-separated ids per input. */
    static List<int[]> readOutputs(Path out) throws IOException {
        List<int[]> ids = new ArrayList<>();
        for (String line : Files.readAllLines(out, StandardCharsets.UTF_8)) {
            String t = line.strip();
            ids.add(t.isEmpty() ? new int[0] : Arrays.stream(t.split(" +")).mapToInt(Integer::parseInt).toArray());
        }
        return ids;
    }

    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        s.codePoints().forEach(c -> {
            if (c < 0x20 || c == 0x7F) {
                b.append(String.format("\\x%02x", c));
            } else {
                b.appendCodePoint(c);
            }
        });
        return b.append('"').toString();
    }
}
