package numatp.models.tokenizer;

/**
 * Finds the lowest id whose piece equals a byte string, without allocating: an
 * open-addressing table of ids keyed by a polynomial hash of the piece bytes. The hash
 * of a concatenation is computed from the hashes of its parts ({@code h(ab) = h(a) *
 * 31^|b| + h(b)}), so {@link #findConcat} looks up a merge candidate in O(1) plus one
 * byte comparison per probe that matches length and hash. A null piece is in no lookup
 * (a token no text spells). Immutable after construction; safe to share between threads.
 */
final class PieceIndex {
    private static final int EMPTY = -1;

    private final byte[][] pieces; // [vocab], shared with the tokenizer, never written; null: not indexed
    private final int[] hashes; // [vocab], h(piece) of each id
    private final int[] pow31; // [longest piece + 1], 31^k (mod 2^32)
    private final int[] slots; // [power of two >= 2 * vocab], an id or EMPTY
    private final int mask;

    PieceIndex(byte[][] pieces) {
        this.pieces = pieces;
        this.hashes = new int[pieces.length];
        int longest = 0;
        for (int i = 0; i < pieces.length; i++) {
            if (pieces[i] == null) {
                continue;
            }
            hashes[i] = hash(pieces[i], 0, pieces[i].length);
            longest = Math.max(longest, pieces[i].length);
        }
        this.pow31 = new int[longest + 1];
        pow31[0] = 1;
        for (int k = 1; k <= longest; k++) {
            pow31[k] = pow31[k - 1] * 31;
        }
        int capacity = Integer.highestOneBit(Math.max(2, pieces.length) * 2 - 1) << 1;
        this.slots = new int[capacity];
        this.mask = capacity - 1;
        java.util.Arrays.fill(slots, EMPTY);
        for (int id = 0; id < pieces.length; id++) {
            byte[] p = pieces[id];
            if (p == null) {
                continue;
            }
            int s = spread(hashes[id]) & mask;
            boolean seen = false;
            while (slots[s] != EMPTY) {
                if (equal(pieces[slots[s]], p, 0, p.length)) {
                    seen = true; // an earlier id has this piece: lookups return the lowest
                    break;
                }
                s = (s + 1) & mask;
            }
            if (!seen) {
                slots[s] = id;
            }
        }
    }

    /** The lowest id whose piece is {@code bytes[off, off + len)}, or -1. */
    int find(byte[] bytes, int off, int len) {
        int h = hash(bytes, off, len);
        for (int s = spread(h) & mask; slots[s] != EMPTY; s = (s + 1) & mask) {
            int id = slots[s];
            if (hashes[id] == h && equal(pieces[id], bytes, off, len)) {
                return id;
            }
        }
        return -1;
    }

    /** The lowest id whose piece is the piece of {@code left} followed by that of {@code right}, or -1. */
    int findConcat(int left, int right) {
        byte[] a = pieces[left];
        byte[] b = pieces[right];
        int len = a.length + b.length;
        int h = hashes[left] * pow31[b.length] + hashes[right];
        for (int s = spread(h) & mask; slots[s] != EMPTY; s = (s + 1) & mask) {
            int id = slots[s];
            byte[] p = pieces[id];
            if (hashes[id] == h && p.length == len && equal(p, a, 0, a.length, 0)
                    && equal(p, b, 0, b.length, a.length)) {
                return id;
            }
        }
        return -1;
    }

    private static int hash(byte[] bytes, int off, int len) {
        int h = 0;
        for (int i = off; i < off + len; i++) {
            h = 31 * h + (bytes[i] & 0xFF);
        }
        return h;
    }

    /** Mixes the high bits into the low ones the mask keeps (the polynomial hash is weak in its low bits). */
    private static int spread(int h) {
        h *= 0x9E3779B9;
        return h ^ (h >>> 16);
    }

    private static boolean equal(byte[] piece, byte[] bytes, int off, int len) {
        return piece.length == len && java.util.Arrays.equals(piece, 0, len, bytes, off, off + len);
    }

    /** Whether {@code piece[at, at + len)} equals {@code part[off, off + len)}. */
    private static boolean equal(byte[] piece, byte[] part, int off, int len, int at) {
        return java.util.Arrays.equals(piece, at, at + len, part, off, off + len);
    }
}
