package numatp.models.tokenizer;

import numatp.models.GgufTokenizers;
import numatp.models.ModelException;
import numatp.models.ModelFiles;
import numatp.weights.gguf.GgufFile;
import numatp.weights.gguf.GgufWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** BPE on small vocabularies written here: merge order, special tokens, decoding, refusals. */
class BpeTokenizerTest {
    @TempDir
    Path tmp;

    /** The 256 byte tokens, then "ab", "abc", "Ġab", then control "<|eot|>", user-defined "<u>", unused "[PAD]". */
    private Path vocab(String pre, String... extraKeys) {
        List<String> tokens = new ArrayList<>();
        List<Integer> types = new ArrayList<>();
        for (int b = 0; b < 256; b++) {
            tokens.add(String.valueOf(ByteUnicode.charOf(b)));
            types.add(TokenType.NORMAL);
        }
        for (String t : new String[] {"ab", "bc", "abc", "Ġa", "Ġab"}) {
            tokens.add(t);
            types.add(TokenType.NORMAL);
        }
        tokens.add("<|eot|>");
        types.add(TokenType.CONTROL);
        tokens.add("<u>");
        types.add(TokenType.USER_DEFINED);
        tokens.add("[PAD]");
        types.add(TokenType.UNUSED);
        GgufWriter w = new GgufWriter().putString("tokenizer.ggml.model", "gpt2").putString("tokenizer.ggml.pre", pre)
                .putStrings("tokenizer.ggml.tokens", tokens.toArray(String[]::new))
                .putI32s("tokenizer.ggml.token_type", types.stream().mapToInt(Integer::intValue).toArray())
                // "b c" ranks before "a b": "abc" merges as a + bc, never into "abc" (no "ab c" or "a bc" merge)
                .putStrings("tokenizer.ggml.merges", new String[] {"b c", "a b", "Ġ a", "Ġa b"})
                .putU32("tokenizer.ggml.bos_token_id", 'a').putU32("tokenizer.ggml.eos_token_id", EOT)
                .putBool("tokenizer.ggml.add_bos_token", true);
        for (int i = 0; i + 1 < extraKeys.length; i += 2) {
            w.putString(extraKeys[i], extraKeys[i + 1]);
        }
        Path p = tmp.resolve(pre + extraKeys.length + ".gguf");
        w.write(p);
        return p;
    }

    private static final int AB = 256;
    private static final int BC = 257;
    private static final int ABC = 258;
    private static final int SPACE_A = 259;
    private static final int SPACE_AB = 260;
    private static final int EOT = 261;
    private static final int USER = 262;
    private static final int PAD = 263;

    private static BpeTokenizer bpe(Path p) {
        try (GgufFile g = GgufFile.open(p)) {
            return GgufTokenizers.bpe(g);
        }
    }

    private static int b(char c) {
        return c;
    }

    @Test
    void lowestRankMergesFirstAndLeftmostOnTies() {
        BpeTokenizer tok = bpe(vocab("gpt-2"));
        assertArrayEquals(new int[] {b('a'), BC}, tok.encode("abc", false, false));
        assertArrayEquals(new int[] {AB, AB, b('a')}, tok.encode("ababa", false, false));
        assertArrayEquals(new int[] {AB, b(' '), AB}, tok.encode("ab ab", false, false), "a b ranks before Ġ a");
        assertArrayEquals(new int[] {SPACE_A}, tok.encode(" a", false, false));
        assertArrayEquals(new int[] {b('a'), b('a'), AB}, tok.encode("aab", true, false), "BOS is 'a', added");
    }

    @Test
    void llama3WholeWordTokensSkipMerging() {
        TextTokenizer tok = GgufTokenizers.open(vocab("llama-bpe"));
        assertArrayEquals(new int[] {ABC}, tok.encode("abc", false, false));
        assertArrayEquals(new int[] {b('a'), BC, b('a')}, tok.encode("abca", false, false));
    }

    @Test
    void controlTokensAreTextUnlessParsedUserDefinedAlwaysParsed() {
        BpeTokenizer tok = bpe(vocab("gpt-2"));
        int[] text = tok.encode("<|eot|>", false, false);
        assertFalse(Arrays.stream(text).anyMatch(i -> i == EOT));
        assertArrayEquals(new int[] {AB, EOT, USER, BC}, tok.encode("ab<|eot|><u>bc", false, false, true));
        assertArrayEquals(new int[] {USER, b('x')}, tok.encode("<u>x", false, false));
    }

    @Test
    void decodesBytesControlTextAndNothingForUnused() {
        BpeTokenizer tok = bpe(vocab("gpt-2"));
        assertArrayEquals(" ab".getBytes(StandardCharsets.UTF_8), tok.decode(-1, SPACE_AB));
        assertArrayEquals(new byte[] {(byte) 0xFF}, tok.decode(-1, 0xFF));
        assertArrayEquals("<|eot|>".getBytes(StandardCharsets.UTF_8), tok.decode(-1, EOT));
        assertEquals(0, tok.decode(-1, PAD).length);
        assertEquals(EOT, tok.lookup("<|eot|>".getBytes(StandardCharsets.UTF_8)));
        assertEquals(SPACE_AB, tok.lookup(" ab".getBytes(StandardCharsets.UTF_8)));
        assertTrue(tok.isEndOfGeneration(EOT));
        assertFalse(tok.isEndOfGeneration(AB));
        ModelException e = assertThrows(ModelException.class, () -> tok.decode(-1, 264));
        assertTrue(e.getMessage().contains("token id 264") && e.getMessage().contains("[0, 264)"), e.getMessage());
        assertThrows(ModelException.class, () -> tok.piece(-1));
    }

    @Test
    void modelFilesChoosesByTokenizerModel() {
        assertInstanceOf(BpeTokenizer.class, ModelFiles.textTokenizer(vocab("qwen2"), null, -1));
    }

    @Test
    void unknownModelOrPreIsRefusedByName() {
        Path t5 = tmp.resolve("t5.gguf");
        new GgufWriter().putString("tokenizer.ggml.model", "t5").write(t5);
        ModelException e = assertThrows(ModelException.class, () -> GgufTokenizers.open(t5));
        assertTrue(e.getMessage().contains(t5.toString()) && e.getMessage().contains("t5")
                && e.getMessage().contains("unsupported"), e.getMessage());
        Path tekken = vocab("tekken");
        e = assertThrows(ModelException.class, () -> GgufTokenizers.open(tekken));
        assertTrue(e.getMessage().contains("tokenizer.ggml.pre is tekken") && e.getMessage().contains(tekken.toString()),
                e.getMessage());
    }

    @Test
    void badMetadataIsAModelExceptionNamingTheKey() {
        Path badMerge = tmp.resolve("merge.gguf");
        new GgufWriter().putString("tokenizer.ggml.model", "gpt2").putStrings("tokenizer.ggml.tokens", new String[] {"a"})
                .putStrings("tokenizer.ggml.merges", new String[] {"ab"}).write(badMerge);
        ModelException e = assertThrows(ModelException.class, () -> GgufTokenizers.open(badMerge));
        assertTrue(e.getMessage().contains("tokenizer.ggml.merges[0]"), e.getMessage());
        Path badBos = tmp.resolve("bos.gguf");
        new GgufWriter().putString("tokenizer.ggml.model", "gpt2").putStrings("tokenizer.ggml.tokens", new String[] {"a"})
                .putU32("tokenizer.ggml.bos_token_id", 5).write(badBos);
        e = assertThrows(ModelException.class, () -> GgufTokenizers.open(badBos));
        assertTrue(e.getMessage().contains("tokenizer.ggml.bos_token_id is 5"), e.getMessage());
        Path badType = tmp.resolve("type.gguf");
        new GgufWriter().putString("tokenizer.ggml.model", "gpt2").putStrings("tokenizer.ggml.tokens", new String[] {"a"})
                .putI32s("tokenizer.ggml.token_type", new int[] {9}).write(badType);
        e = assertThrows(ModelException.class, () -> GgufTokenizers.open(badType));
        assertTrue(e.getMessage().contains("tokenizer.ggml.token_type[0] is 9"), e.getMessage());
    }

    @Test
    void emptyTextIsNoTokensAndBytesWithoutATokenAreDropped() {
        Path p = tmp.resolve("small.gguf");
        new GgufWriter().putString("tokenizer.ggml.model", "gpt2").putString("tokenizer.ggml.pre", "gpt-2")
                .putStrings("tokenizer.ggml.tokens", new String[] {"a", "b"}).write(p);
        TextTokenizer tok = GgufTokenizers.open(p);
        assertEquals(0, tok.encode("", true, true).length);
        assertArrayEquals(new int[] {0, 1}, tok.encode("a\u00E9b", true, false), "no BOS without add_bos_token");
    }
}
