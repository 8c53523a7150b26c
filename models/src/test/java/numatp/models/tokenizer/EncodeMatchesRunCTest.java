package numatp.models.tokenizer;

import numatp.models.GgufModels;
import numatp.models.SharedModels;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link Tokenizer#encode} against its naive twin {@link RunCEncoder} (run.c's quadratic
 * loop), id for id, on seeded random texts: ASCII words, whitespace runs, runs of one
 * character (many equal-score pairs), multi-byte UTF-8 and emoji, code points no
 * vocabulary has (byte fallback), and concatenated vocabulary pieces (long merge chains).
 * The seed is printed and named in every failure; {@code -Dnumatp.test.seed=N} replays it.
 */
class EncodeMatchesRunCTest {
    private static final String[] WORDS = {"the", "Once", "upon", "a", "time", "little", "girl", "named", "Lily",
        "Hello", "world", "don't", "I'm", "3.14", "2024", "<s>", "</s>", "<unk>", "<0x41>", "\u2581", "is", "ing"};
    private static final String PROSE = "Once upon a time, there was a little girl named Lily. She loved to play"
            + " outside in the park with her friends.\nOne day, she saw a big, red ball -- \"Can I play?\" she asked.";

    @Test
    void tok512MatchesRunC() {
        Tokenizer tok = Llama2cTokenizerFile.read(SharedModels.tok512(), 512);
        check("tok512", tok, 200, 300);
    }

    @Test
    void ggufLlamaVocabularyMatchesRunC() {
        Tokenizer tok = GgufModels.tokenizer(SharedModels.dir().resolve("gguf-vocab/ggml-vocab-llama-spm.gguf"));
        check("gguf-llama", tok, 120, 400);
    }

    /**
     * A small vocabulary of every string up to 4 long over "ab c" with scores from a
     * handful of values (equal scores everywhere), including the ones run.c never merges
     * (-1e10, below it, -infinity, NaN), -0.0 next to 0.0, duplicate pieces, and no byte
     * pieces, so byte fallback lands on arbitrary ids (one of them an empty piece).
     */
    @Test
    void tiedScoresAndOddVocabularyMatchRunC() {
        long seed = seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] values = {0f, -0f, -1f, -2f, -3f, 5f, -1e10f, -1e11f, Float.NEGATIVE_INFINITY, Float.NaN};
        List<byte[]> pieces = new ArrayList<>(List.of(b("<unk>"), b("<s>"), b("</s>")));
        List<String> level = List.of("");
        for (int len = 1; len <= 4; len++) {
            List<String> longer = new ArrayList<>();
            for (String s : level) {
                for (char c : "ab c".toCharArray()) {
                    longer.add(s + c);
                }
            }
            for (String s : longer) {
                pieces.add(b(s));
            }
            level = longer;
        }
        pieces.add(10, new byte[0]);
        pieces.add(b("ab")); // duplicates: lookups must return the lowest id
        pieces.add(b("c c"));
        float[] scores = new float[pieces.size()];
        for (int i = 0; i < scores.length; i++) {
            scores[i] = values[rnd.nextInt(values.length)];
        }
        Tokenizer tok = new Tokenizer(pieces.toArray(new byte[0][]), scores);
        RunCEncoder naive = new RunCEncoder(tok);
        String alphabet = "ab c";
        for (int t = 0; t < 600; t++) {
            StringBuilder text = new StringBuilder();
            int len = rnd.nextInt(8) == 0 ? rnd.nextInt(300) : rnd.nextInt(40);
            for (int k = 0; k < len; k++) {
                int r = rnd.nextInt(40);
                text.append(r == 0 ? "é" : r == 1 ? "\uD83E\uDD99" : r == 2 ? "\t" : alphabet.charAt(rnd.nextInt(4)));
            }
            compare("tied", seed, t, tok, naive, text.toString(), rnd);
        }
    }

    @Test
    void emptyAndOneCharacterTexts() {
        Tokenizer tok = Llama2cTokenizerFile.read(SharedModels.tok512(), 512);
        RunCEncoder naive = new RunCEncoder(tok);
        for (String s : new String[] {"", " ", "a", "\n", "é", "\uD83E\uDD99"}) {
            for (int f = 0; f < 4; f++) {
                assertArrayEquals(naive.encode(s, (f & 1) != 0, (f & 2) != 0), tok.encode(s, (f & 1) != 0, (f & 2) != 0),
                        "'" + s + "' bos=" + ((f & 1) != 0) + " eos=" + ((f & 2) != 0));
            }
        }
        assertEquals(0, tok.encode("", false, false).length);
    }

    private static void check(String name, Tokenizer tok, int cases, int maxLength) {
        long seed = seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        RunCEncoder naive = new RunCEncoder(tok);
        for (int t = 0; t < cases; t++) {
            compare(name, seed, t, tok, naive, text(rnd, tok, rnd.nextInt(6) == 0 ? maxLength * 4 : maxLength), rnd);
        }
    }

    private static void compare(String name, long seed, int t, Tokenizer tok, RunCEncoder naive, String text,
                                SplittableRandom rnd) {
        boolean bos = rnd.nextBoolean();
        boolean eos = rnd.nextInt(4) == 0;
        int[] expected = naive.encode(text, bos, eos);
        int[] got = tok.encode(text, bos, eos);
        if (!Arrays.equals(expected, got)) {
            assertArrayEquals(expected, got, name + " case " + t + " (seed " + seed + ", bos=" + bos + ", eos="
                    + eos + "): '" + text + "'");
        }
    }

    /** A random text of up to {@code maxChars} UTF-16 chars, built from fragments of many kinds. */
    static String text(SplittableRandom rnd, Tokenizer tok, int maxChars) {
        int target = rnd.nextInt(maxChars + 1);
        StringBuilder out = new StringBuilder();
        while (out.length() < target) {
            switch (rnd.nextInt(10)) {
                case 0, 1 -> out.append(WORDS[rnd.nextInt(WORDS.length)]).append(' ');
                case 2 -> {
                    int from = rnd.nextInt(PROSE.length());
                    out.append(PROSE, from, Math.min(PROSE.length(), from + 1 + rnd.nextInt(60)));
                }
                case 3 -> out.repeat(" \t\n".charAt(rnd.nextInt(3)), 1 + rnd.nextInt(rnd.nextInt(4) == 0 ? 40 : 5));
                case 4 -> out.repeat(rnd.nextBoolean() ? 'a' : 'é', 1 + rnd.nextInt(12)); // runs: equal-score pairs
                case 5 -> out.appendCodePoint(multiByte(rnd));
                case 6 -> {
                    byte[] p = tok.piece(rnd.nextInt(tok.vocabSize()));
                    out.append(new String(p, StandardCharsets.UTF_8));
                }
                case 7 -> out.append((char) (0x20 + rnd.nextInt(0x5F))); // printable ASCII
                case 8 -> out.appendCodePoint(rnd.nextInt(3) == 0 ? rnd.nextInt(0x20) : 0x20000 + rnd.nextInt(0xA6E0));
                default -> {
                    for (int k = rnd.nextInt(8); k > 0; k--) {
                        out.append((char) ('a' + rnd.nextInt(26)));
                    }
                    out.append(' ');
                }
            }
        }
        return out.toString();
    }

    /** A code point of 2 to 4 UTF-8 bytes: accents, Cyrillic, CJK, Hangul, emoji. */
    private static int multiByte(SplittableRandom rnd) {
        return switch (rnd.nextInt(6)) {
            case 0 -> 0xC0 + rnd.nextInt(0x40);
            case 1 -> 0x400 + rnd.nextInt(0x100);
            case 2 -> 0x4E00 + rnd.nextInt(0x5200);
            case 3 -> 0xAC00 + rnd.nextInt(0x2BA4);
            case 4 -> 0x1F300 + rnd.nextInt(0x800);
            default -> {
                int[] common = "éüñßøçàÄЖя中文日本語🦙😀👍".codePoints().toArray();
                yield common[rnd.nextInt(common.length)];
            }
        };
    }

    private static long seed() {
        String fixed = System.getProperty("numatp.test.seed");
        long seed = fixed != null ? Long.parseLong(fixed) : new SplittableRandom().nextLong();
        System.out.println("EncodeMatchesRunCTest seed=" + seed);
        return seed;
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
