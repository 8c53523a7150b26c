package numatp.models.tokenizer;

import java.util.Arrays;

/**
 * GPT-2's reversible byte-to-character map, in which byte-level BPE vocabularies store
 * their tokens: the printable bytes {@code ! .. ~}, {@code ¡ .. ¬} and {@code ® .. ÿ} stand
 * for themselves, the other 68 bytes (controls, space, DEL, NBSP, soft hyphen...) take
 * the characters from U+0100 upwards in byte order, so a space is {@code Ġ} (U+0120)
 * and a newline {@code Ċ} (U+010A). Every character the map produces is below U+0144.
 */
final class ByteUnicode {
    private static final char[] CHAR_OF_BYTE = new char[256]; // [byte] -> its character
    private static final int[] BYTE_OF_CHAR = new int[0x144]; // [character] -> its byte, or -1

    static {
        Arrays.fill(BYTE_OF_CHAR, -1);
        int next = 0x100;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) next++;
            CHAR_OF_BYTE[b] = c;
            BYTE_OF_CHAR[c] = b;
        }
    }

    private ByteUnicode() {
    }

    /** The character that stands for {@code b} (0..255). */
    static char charOf(int b) {
        return CHAR_OF_BYTE[b];
    }

    /** The byte that {@code c} stands for, or -1 when {@code c} is not in the map. */
    static int byteOf(int c) {
        return c >= 0 && c < BYTE_OF_CHAR.length ? BYTE_OF_CHAR[c] : -1;
    }

    /**
     * The bytes {@code text[from, to)} stands for, written to {@code out} from 0; returns
     * their count, or -1 when a character is not in the map. {@code out} must hold
     * {@code to - from} bytes.
     */
    static int decode(String text, int from, int to, byte[] out) {
        int n = 0;
        for (int i = from; i < to; i++) {
            int b = byteOf(text.charAt(i));
            if (b < 0) {
                return -1;
            }
            out[n++] = (byte) b;
        }
        return n;
    }

    /** The text that stands for {@code bytes}: one character per byte. */
    static String encode(byte[] bytes) {
        char[] cs = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            cs[i] = CHAR_OF_BYTE[bytes[i] & 0xFF];
        }
        return new String(cs);
    }
}
