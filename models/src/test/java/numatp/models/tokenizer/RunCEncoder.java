package numatp.models.tokenizer;

import numatp.models.ModelException;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The naive twin of {@link Tokenizer#encode}: llama2.c run.c's {@code encode()} as
 * written there, rescanning every adjacent pair for each merge (quadratic in the text's
 * length, and one string allocated per pair looked at). It keeps its own piece map, so
 * it shares no lookup code with the tokenizer it is compared against.
 */
final class RunCEncoder {
    private final byte[][] pieces; // [vocab]
    private final float[] scores; // [vocab]
    private final Map<String, Integer> ids; // piece (bytes as ISO-8859-1) -> lowest id
    private final int[] byteTokens; // [256], id of the <0xXX> piece of each byte (byte + 3 when absent)

    RunCEncoder(Tokenizer t) {
        int n = t.vocabSize();
        this.pieces = new byte[n][];
        this.scores = new float[n];
        this.ids = new HashMap<>(n * 2);
        for (int i = 0; i < n; i++) {
            pieces[i] = t.piece(i);
            scores[i] = t.score(i);
            ids.putIfAbsent(key(pieces[i]), i);
        }
        this.byteTokens = new int[256];
        for (int b = 0; b < 256; b++) {
            byteTokens[b] = b + 3;
        }
        for (int i = n - 1; i >= 0; i--) {
            int b = Tokenizer.byteFallback(pieces[i]);
            if (b >= 0) {
                byteTokens[b] = i;
            }
        }
    }

    private static String key(byte[] bytes) {
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }

    private int lookup(byte[] piece) {
        Integer id = ids.get(key(piece));
        return id == null ? -1 : id;
    }

    int[] encode(String text, boolean bos, boolean eos) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        int[] tokens = new int[utf8.length + 3];
        int n = 0;
        if (bos) {
            tokens[n++] = Tokenizer.BOS;
        }
        if (utf8.length > 0) {
            int space = lookup(new byte[] {' '});
            if (space < 0) {
                throw new ModelException("tokenizer has no ' ' piece for the dummy prefix");
            }
            tokens[n++] = space;
        }
        int i = 0;
        while (i < utf8.length) {
            int len = 1;
            // A code point: a lead byte and up to 3 continuation bytes (run.c takes at most 4 bytes).
            while (i + len < utf8.length && (utf8[i + len] & 0xC0) == 0x80 && len < 4) {
                len++;
            }
            byte[] cp = Arrays.copyOfRange(utf8, i, i + len);
            int id = lookup(cp);
            if (id != -1) {
                tokens[n++] = id;
            } else {
                for (byte b : cp) {
                    tokens[n++] = byteTokens[b & 0xFF];
                }
            }
            i += len;
        }
        while (true) {
            float bestScore = -1e10f;
            int bestId = -1;
            int bestIdx = -1;
            for (int k = 0; k < n - 1; k++) {
                byte[] a = pieces[tokens[k]];
                byte[] b = pieces[tokens[k + 1]];
                byte[] merged = new byte[a.length + b.length];
                System.arraycopy(a, 0, merged, 0, a.length);
                System.arraycopy(b, 0, merged, a.length, b.length);
                int id = lookup(merged);
                if (id != -1 && scores[id] > bestScore) {
                    bestScore = scores[id];
                    bestId = id;
                    bestIdx = k;
                }
            }
            if (bestIdx == -1) {
                break;
            }
            tokens[bestIdx] = bestId;
            System.arraycopy(tokens, bestIdx + 2, tokens, bestIdx + 1, n - bestIdx - 2);
            n--;
        }
        if (eos) {
            tokens[n++] = Tokenizer.EOS;
        }
        return Arrays.copyOf(tokens, n);
    }
}
