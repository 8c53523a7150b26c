package numatp.server;

import numatp.models.tokenizer.TextTokenizer;
import numatp.models.tokenizer.Tokenizer;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The text of one completion as its tokens arrive: each token's bytes are decoded as
 * {@code tp generate} prints them ({@link TextTokenizer#decode}), and a character split
 * across tokens is held until it is complete. That happens with byte-level BPE, whose
 * tokens are byte strings cut anywhere (an emoji's four bytes may come as two tokens), and
 * with SentencePiece byte-fallback tokens ({@code <0xE2>}), which {@link Tokenizer#decode}
 * drops as run.c does: here a byte-fallback token of a multi-byte UTF-8 character keeps
 * its byte. Bytes that do not form UTF-8 are dropped, as run.c drops the lone bytes it
 * cannot print. Text that might be the start of a stop string is held back too, so a
 * client never sees any part of the stop string.
 */
final class CompletionText {
    private final TextTokenizer tokenizer;
    private final boolean byteFallbackPieces; // SentencePiece: <0xXX> pieces stand for a byte
    private final List<String> stops;
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.IGNORE)
            .onUnmappableCharacter(CodingErrorAction.IGNORE);
    private final ByteBuffer bytes = ByteBuffer.allocate(256);
    private final CharBuffer chars = CharBuffer.allocate(512);
    private final StringBuilder held = new StringBuilder(); // decoded, not yet released
    private final StringBuilder released = new StringBuilder(); // everything handed out so far
    private boolean stopped;

    CompletionText(TextTokenizer tokenizer, List<String> stops) {
        this.tokenizer = tokenizer;
        this.byteFallbackPieces = tokenizer instanceof Tokenizer;
        this.stops = List.copyOf(stops);
    }

    /**
     * Adds {@code token} (following {@code previous}) and returns the text that may be
     * sent now, possibly empty. After a stop string appears, {@link #stopped()} is true and
     * the result ends just before it.
     */
    String append(int previous, int token) {
        if (stopped) {
            throw new IllegalStateException("text already ended at a stop string");
        }
        byte[] piece = tokenizer.decode(previous, token);
        if (piece.length == 0 && byteFallbackPieces) {
            int b = highByteFallback(tokenizer.piece(token));
            if (b >= 0) {
                piece = new byte[] {(byte) b};
            }
        }
        int i = 0;
        while (i < piece.length) {
            int n = Math.min(bytes.remaining(), piece.length - i);
            bytes.put(piece, i, n);
            i += n;
            decode(false);
        }
        return release(false);
    }

    /** At the end of generation: whatever is still held (an incomplete character is dropped). */
    String finish() {
        if (stopped) {
            return "";
        }
        decode(true);
        decoder.flush(chars);
        chars.flip();
        held.append(chars);
        chars.clear();
        return release(true);
    }

    boolean stopped() {
        return stopped;
    }

    /** All text released so far. */
    String text() {
        return released.toString();
    }

    private void decode(boolean end) {
        bytes.flip();
        while (true) {
            var result = decoder.decode(bytes, chars, end);
            chars.flip();
            held.append(chars);
            chars.clear();
            if (!result.isOverflow()) {
                break;
            }
        }
        bytes.compact();
    }

    private String release(boolean end) {
        int stopAt = -1;
        for (String stop : stops) {
            int at = held.indexOf(stop);
            if (at >= 0 && (stopAt < 0 || at < stopAt)) {
                stopAt = at;
            }
        }
        int cut;
        if (stopAt >= 0) {
            stopped = true;
            cut = stopAt;
        } else {
            cut = end ? held.length() : held.length() - heldForStops();
        }
        String out = held.substring(0, cut);
        held.delete(0, stopped ? held.length() : cut);
        released.append(out);
        return out;
    }

    /** Length of the longest suffix of {@code held} that is a proper prefix of a stop string. */
    private int heldForStops() {
        int keep = 0;
        for (String stop : stops) {
            for (int k = Math.min(stop.length() - 1, held.length()); k > keep; k--) {
                if (endsWith(held, stop, k)) {
                    keep = k;
                    break;
                }
            }
        }
        return keep;
    }

    /** Whether {@code text} ends with the first {@code k} characters of {@code stop}. */
    private static boolean endsWith(StringBuilder text, String stop, int k) {
        int from = text.length() - k;
        for (int i = 0; i < k; i++) {
            if (text.charAt(from + i) != stop.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** The byte of a {@code <0xXX>} piece with XX >= 0x80 (part of a UTF-8 character), or -1. */
    static int highByteFallback(byte[] p) {
        if (p.length != 6 || p[0] != '<' || p[1] != '0' || p[2] != 'x' || p[5] != '>') {
            return -1;
        }
        int hi = Character.digit(p[3], 16);
        int lo = Character.digit(p[4], 16);
        int b = hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
        return b >= 0x80 ? b : -1;
    }
}
