package numatp.server;

import numatp.models.tokenizer.Tokenizer;
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
