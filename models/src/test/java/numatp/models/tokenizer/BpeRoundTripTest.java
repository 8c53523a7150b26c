package numatp.models.tokenizer;

import numatp.models.GgufTokenizers;
import numatp.topology.SharedData;
import numatp.weights.gguf.GgufFile;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Seeded property tests on the real BPE vocabularies in ../shared/models: decoding the
 * tokens of a random text gives its bytes back (less the bytes no token is, which
 * llama.cpp drops too; Llama 3, GPT-2 and the DeepSeek vocabularies have all 256), and the ids equal those of the naive
 * rescanning twin ({@link NaiveBpe}) wherever the vocabulary has no user-defined tokens
 * (which the twin does not cut out). Texts mix ASCII, whitespace runs (tabs, newlines,
 * NBSP, ideographic space), digits, contractions, Latin-1, Cyrillic, CJK, combining marks,
 * ZWJ emoji sequences and other supplementary characters.
 */
class BpeRoundTripTest {
    private static final int CASES = 300;

    @ParameterizedTest
    @ValueSource(strings = {"gguf-vocab/llama3-bpe-rebuilt.gguf", "gguf-vocab/ggml-vocab-gpt-2.gguf",
            "realshapes/qwen2-shape.f16.gguf", "gguf-vocab/ggml-vocab-deepseek-llm.gguf",
            "gguf-vocab/ggml-vocab-deepseek-coder.gguf", "gguf-vocab/ggml-vocab-falcon.gguf",
            "gguf-vocab/ggml-vocab-starcoder.gguf", "gguf-vocab/ggml-vocab-mpt.gguf", "gguf-vocab/ggml-vocab-refact.gguf"})
    void decodeOfEncodeIsTheTextAndIdsMatchTheNaiveTwin(String file) {
        Path path = SharedData.require("models").resolve(file);
        BpeTokenizer tok;
        NaiveBpe naive = null;
        try (GgufFile g = GgufFile.open(path)) {
            tok = GgufTokenizers.bpe(g);
            String[] tokens = g.get("tokenizer.ggml.tokens", String[].class);
            boolean userDefined = false;
            for (int i = 0; i < tok.vocabSize(); i++) {
                userDefined |= tok.type(i) == TokenType.USER_DEFINED;
            }
            if (!userDefined) {
                naive = new NaiveBpe(tokens, g.get("tokenizer.ggml.merges", String[].class), tok.preTokenizer());
            }
        }
        long seed = new SplittableRandom().nextLong();
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int c = 0; c < CASES; c++) {
            String text = randomText(rnd, c < 10 ? c : 1 + rnd.nextInt(c % 7 == 0 ? 400 : 40));
            String where = file + ", seed " + seed + ", case " + c + ": " + LlamaCppVocabVectorsTest.quote(text);
            int[] ids = tok.encode(text, false, false);
            ByteArrayOutputStream back = new ByteArrayOutputStream();
            int prev = -1;
            for (int id : ids) {
                back.writeBytes(tok.decode(prev, id));
                prev = id;
            }
            assertArrayEquals(spellable(tok, text), back.toByteArray(), where);
            if (naive != null) {
                List<Integer> expected = naive.encode(text);
                assertEquals(expected, Arrays.stream(ids).boxed().toList(), where);
            }
        }
    }

    /** The text's UTF-8 without the bytes no token of the vocabulary is (Falcon lacks 28, StarCoder 14). */
    private static byte[] spellable(BpeTokenizer tok, String text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            if (tok.spellsByte(b & 0xFF)) {
                out.write(b);
            }
        }
        return out.toByteArray();
    }

    private static final String[] PIECES = {" ", "  ", "   ", "\t", "\n", "\r\n", "\n\n", " \n ", "\u00A0", "\u3000",
            "'s", "'LL", "'ve", "don't", "3", "42", "1234567", "3.14", "...", "!!", "?", "--", "\"", "()", "{}",
            "Hello", "world", " the", "Ünïcödé", "é", "e\u0301", "нещо", "Български", "我想在", "apple工作", "～",
            "ཀ", "ក", "🦙", "🚀", "😶\u200d🌫️", "👩\u200d👩\u200d👧", "🇫🇷", "\uD834\uDD1E", "½", "µ", "ſ", "Ω",
            "\u0085", "\u2028", "\u00AD", "\u0000", "\u007F", "ß", "ΐ", "ǅ", "$", "+", "<", "=", ">", "^", "`", "|", "~"};

    /** About {@code parts} pieces: words and symbols from a list, or random code points of any plane. */
    static String randomText(SplittableRandom rnd, int parts) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < parts; i++) {
            int kind = rnd.nextInt(10);
            if (kind < 6) {
                b.append(PIECES[rnd.nextInt(PIECES.length)]);
            } else if (kind < 8) {
                b.append((char) (0x20 + rnd.nextInt(0x5F)));
            } else {
                int cp;
                do {
                    cp = rnd.nextInt(kind == 8 ? 0x3000 : 0x20000);
                } while (Character.isSurrogate((char) cp) && cp < 0x10000);
                b.appendCodePoint(cp);
            }
        }
        return b.toString();
    }
}
