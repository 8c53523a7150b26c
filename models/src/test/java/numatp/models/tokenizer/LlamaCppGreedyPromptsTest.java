package numatp.models.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import numatp.models.GgufTokenizers;
import numatp.topology.SharedData;
import numatp.weights.WeightsException;
import numatp.weights.gguf.GgufFile;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The real vocabularies inside ../shared/models/realshapes (Llama 3 BPE, GPT-2 BPE with
 * Qwen2's pre-tokenizer, Llama SentencePiece): llama.cpp's tokenization of each greedy
 * run's prompt (BOS where the file's add_bos_token says, special tokens parsed) and its
 * bytes for every generated id must come out of numatp unchanged.
 *
 * <p>Where this branch's {@link GgufFile} cannot open a shape file (its K-quant tensors),
 * the vocabulary comes from a file whose {@code tokenizer.ggml.*} metadata is identical,
 * key for key (checked when the data was set up; see realshapes/README.md).
 */
class LlamaCppGreedyPromptsTest {
    static final Path DIR = SharedData.dir().resolve("models").resolve("realshapes"); // required by the factory
    /** Files with the same tokenizer metadata as a K-quant shape file, relative to {@link #DIR}. */
    private static final Map<String, String> SAME_VOCABULARY = Map.of(
            "llama3-shape.q4_k_m.gguf", "../gguf-vocab/llama3-bpe-rebuilt.gguf",
            "mistral-shape.q4_k_m.gguf", "../gguf-vocab/ggml-vocab-llama-spm.gguf",
            "qwen3-shape.q4_k_m.gguf", "qwen2-shape.f16.gguf");

    @TestFactory
    Stream<DynamicTest> promptsAndGeneratedPiecesMatchLlamaCpp() throws IOException {
        SharedData.require("models", "realshapes");
        List<Path> runs;
        try (Stream<Path> s = Files.list(DIR)) {
            runs = s.filter(p -> p.getFileName().toString().contains(".llamacpp-greedy")).sorted().toList();
        }
        assertTrue(runs.size() >= 5, "expected llama.cpp greedy runs in " + DIR + ", found " + runs.size());
        return runs.stream().map(run -> DynamicTest.dynamicTest(run.getFileName().toString(), () -> check(run)));
    }

    private static void check(Path run) throws IOException {
        JsonNode j = new ObjectMapper().readTree(run.toFile());
        Path model = DIR.resolve(j.get("file").asText());
        TextTokenizer tok;
        try {
            tok = GgufTokenizers.open(model);
        } catch (WeightsException e) {
            String same = SAME_VOCABULARY.get(model.getFileName().toString());
            if (same == null || !e.getMessage().contains("unsupported type")) {
                throw e;
            }
            System.out.println(run.getFileName() + ": tensors unreadable here (" + e.getMessage()
                    + "); vocabulary from " + same);
            tok = GgufTokenizers.open(DIR.resolve(same));
        }
        assertEquals(j.get("add_bos").asBoolean(), tok.addsBos(), run + ": add_bos");
        int[] expected = ints(j.get("prompt_ids"));
        String prompt = j.get("prompt").asText();
        int[] got = tok instanceof BpeTokenizer b ? b.encode(prompt, true, false, true) : tok.encode(prompt, true, false);
        assertArrayEquals(expected, got, run + ": prompt " + prompt);
        int[] generated = ints(j.get("generated_ids"));
        JsonNode hex = j.get("generated_pieces_hex");
        assertEquals(generated.length, hex.size(), run + ": generated ids and pieces");
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        for (int i = 0; i < generated.length; i++) {
            byte[] piece = bpeOrRawPiece(tok, generated[i]);
            assertEquals(hex.get(i).asText(), HexFormat.of().formatHex(piece), run + ": piece of id " + generated[i]);
            text.writeBytes(piece);
        }
        assertEquals(j.get("generated_text_hex").asText(), HexFormat.of().formatHex(text.toByteArray()), run + ": text");
    }

    /** BPE decodes a token to its bytes; a SentencePiece piece is the raw one with U+2581 as space and {@code <0xNN>} as the byte. */
    private static byte[] bpeOrRawPiece(TextTokenizer tok, int id) {
        if (tok instanceof BpeTokenizer) {
            return tok.decode(-1, id);
        }
        byte[] p = tok.piece(id);
        int b = Tokenizer.byteFallback(p);
        return b >= 0 ? new byte[] {(byte) b} : p;
    }

    private static int[] ints(JsonNode a) {
        return IntStream.range(0, a.size()).map(i -> a.get(i).asInt()).toArray();
    }
}
