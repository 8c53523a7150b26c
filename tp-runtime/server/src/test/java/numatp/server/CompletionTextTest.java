package numatp.server;

import numatp.models.GgufTokenizers;
import numatp.models.tokenizer.TextTokenizer;
import numatp.models.tokenizer.Tokenizer;
import numatp.topology.SharedData;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Incremental text against its naive twin (decode everything at the end, cut at the
 * first stop string), over the built-in byte-level vocabulary where every multi-byte
 * character arrives one byte token at a time.
 */
class CompletionTextTest {
    static final Tokenizer TOKENIZER = BuiltinModel.tokenizer();

    /** Tokens of {@code text} without BOS or the dummy-prefix space. */
    static int[] tokens(String text) {
        if (text.isEmpty()) {
            return new int[0];
        }
        int[] withPrefix = TOKENIZER.encode(text, false, false);
        return java.util.Arrays.copyOfRange(withPrefix, 1, withPrefix.length);
    }

    /** Feeds {@code text}'s tokens one by one; returns the released pieces and whether it stopped. */
    static List<String> feed(CompletionText t, String text) {
        List<String> pieces = new java.util.ArrayList<>();
        int previous = TOKENIZER.lookup(new byte[] {' '});
        for (int token : tokens(text)) {
            pieces.add(t.append(previous, token));
            previous = token;
            if (t.stopped()) {
                return pieces;
            }
        }
        pieces.add(t.finish());
        return pieces;
    }

    @Test
    void multiByteCharactersSplitOverByteTokensComeOutWhole() {
        CompletionText t = new CompletionText(TOKENIZER, List.of());
        List<String> pieces = feed(t, "añb€c😀");
        assertEquals("añb€c😀", String.join("", pieces));
        for (String p : pieces) {
            assertFalse(p.contains("\uFFFD"), "broken character in " + pieces);
        }
        assertEquals("añb€c😀", t.text());
    }

    @Test
    void stopStringIsNeverReleasedEvenInPart() {
        CompletionText t = new CompletionText(TOKENIZER, List.of("END!"));
        List<String> pieces = feed(t, "abc EN xyz END! more");
        assertTrue(t.stopped());
        assertEquals("abc EN xyz ", String.join("", pieces));
        assertEquals("", t.finish());
    }

    @Test
    void heldPrefixIsReleasedAtTheEnd() {
        CompletionText t = new CompletionText(TOKENIZER, List.of("stop"));
        List<String> pieces = feed(t, "a st");
        assertFalse(t.stopped());
        assertEquals("a ", String.join("", pieces.subList(0, pieces.size() - 1)));
        assertEquals("st", pieces.getLast());
    }

    @Test
    void matchesTheNaiveTwinOnRandomTextsAndStops() {
        long seed = 20251121L;
        SplittableRandom rnd = new SplittableRandom(seed);
        String alphabet = "ab é€😀\n";
        for (int trial = 0; trial < 300; trial++) {
            String text = random(rnd, alphabet, rnd.nextInt(0, 30));
            List<String> stops = List.of(random(rnd, alphabet, rnd.nextInt(1, 4)), random(rnd, alphabet, 1));
            CompletionText t = new CompletionText(TOKENIZER, stops);
            String got = String.join("", feed(t, text));
            int cut = text.length();
            for (String s : stops) {
                int at = text.indexOf(s);
                if (at >= 0) {
                    cut = Math.min(cut, at);
                }
            }
            String context = "seed " + seed + " trial " + trial + ": " + text + " stops " + stops;
            assertEquals(text.substring(0, cut), got, context);
            assertEquals(stops.stream().anyMatch(text::contains), t.stopped(), context);
        }
    }

    private static String random(SplittableRandom rnd, String alphabet, int codePoints) {
        int[] cps = alphabet.codePoints().toArray();
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < codePoints; i++) {
            b.appendCodePoint(cps[rnd.nextInt(cps.length)]);
        }
        return b.toString();
    }

    private static TextTokenizer llama3;

    /** The Llama 3 byte-level BPE vocabulary from ../shared, read once. */
    static synchronized TextTokenizer llama3() {
        if (llama3 == null) {
            llama3 = GgufTokenizers.open(SharedData.require("models", "gguf-vocab", "llama3-bpe-rebuilt.gguf"));
        }
        return llama3;
    }

    /**
     * Byte-level BPE cuts characters anywhere: Llama 3 spells rarer CJK characters and
     * emoji as two or more byte tokens. Against the naive twin (all bytes decoded at the
     * end, cut at the first stop), and never a broken character in a released piece.
     */
    @Test
    void bpeTokensThatSplitACharacterComeOutWhole() {
        TextTokenizer tok = llama3();
        long seed = 20261205L;
        SplittableRandom rnd = new SplittableRandom(seed);
        String alphabet = "ab é€😀🦙中文字\u0A85\uD834\uDD1E \n";
        int splitTokens = 0;
        for (int trial = 0; trial < 300; trial++) {
            String text = random(rnd, alphabet, rnd.nextInt(0, 30));
            List<String> stops = trial % 3 == 0 ? List.of()
                    : List.of(random(rnd, alphabet, rnd.nextInt(1, 4)), random(rnd, alphabet, 1));
            int[] ids = tok.encode(text, false, false);
            CompletionText t = new CompletionText(tok, stops);
            List<String> pieces = new java.util.ArrayList<>();
            int previous = -1;
            for (int id : ids) {
                if (!isUtf8(tok.decode(previous, id))) {
                    splitTokens++;
                }
                pieces.add(t.append(previous, id));
                previous = id;
                if (t.stopped()) {
                    break;
                }
            }
            pieces.add(t.finish());
            int cut = text.length();
            for (String stop : stops) {
                int at = text.indexOf(stop);
                if (at >= 0) {
                    cut = Math.min(cut, at);
                }
            }
            String context = "seed " + seed + " trial " + trial + ": " + text + " stops " + stops;
            assertEquals(text.substring(0, cut), String.join("", pieces), context);
            for (String p : pieces) {
                assertFalse(p.contains("\uFFFD"), context + ": broken character in " + pieces);
                assertFalse(!p.isEmpty() && Character.isLowSurrogate(p.charAt(0)), context + ": split pair " + pieces);
            }
        }
        assertTrue(splitTokens > 100, "tokens holding part of a character: " + splitTokens);
    }

    /** A BPE control token that is not an end of generation is text like any other; byte fallback is not applied. */
    @Test
    void bpeHasNoByteFallbackPieces() {
        TextTokenizer tok = llama3();
        int header = tok.lookup("<|start_header_id|>".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        CompletionText t = new CompletionText(tok, List.of());
        assertEquals("<|start_header_id|>", t.append(-1, header));
        int lt = tok.encode("<0xE2>", false, false)[0]; // a normal token, not a byte
        assertFalse(t.append(header, lt).isEmpty());
    }

    private static boolean isUtf8(byte[] b) {
        try {
            java.nio.charset.StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(b));
            return true;
        } catch (java.nio.charset.CharacterCodingException e) {
            return false;
        }
    }

    @Test
    void bytesThatAreNotUtf8AreDropped() {
        CompletionText t = new CompletionText(TOKENIZER, List.of());
        int space = TOKENIZER.lookup(new byte[] {' '});
        int a = TOKENIZER.lookup(new byte[] {'a'});
        int lone = 3 + 0xA9; // a continuation byte without its lead
        int lead = 3 + 0xC3; // a lead byte whose character never completes
        StringBuilder out = new StringBuilder();
        out.append(t.append(space, a)).append(t.append(a, lone)).append(t.append(lone, a)).append(t.append(a, lead));
        out.append(t.finish());
        assertEquals("aa", out.toString());
    }

    @Test
    void highByteFallbackOnlyForUtf8Bytes() {
        assertEquals(0xC3, CompletionText.highByteFallback("<0xC3>".getBytes()));
        assertEquals(-1, CompletionText.highByteFallback("<0x41>".getBytes()));
        assertEquals(-1, CompletionText.highByteFallback("hello!".getBytes()));
    }
}
