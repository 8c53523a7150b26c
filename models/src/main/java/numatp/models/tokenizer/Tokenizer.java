package numatp.models.tokenizer;

import numatp.models.ModelException;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * SentencePiece-style BPE over a scored vocabulary, exactly as llama2.c's run.c
 * encodes and decodes: a dummy-prefix space, UTF-8 code points looked up whole, byte
 * fallback to {@code <0xXX>} tokens (id = byte + 3), then repeated merging of the
 * adjacent pair whose concatenation has the highest score (the leftmost of equal ones).
 * BOS = 1, EOS = 2. Encoding is O(n log n) in the text's length; the tests check it id
 * for id against a verbatim copy of run.c's quadratic loop.
 */
public final class Tokenizer implements TextTokenizer {
    public static final int BOS = 1;
    public static final int EOS = 2;

    private final byte[][] pieces; // [vocab], raw bytes of each token
    private final float[] scores; // [vocab]
    private final PieceIndex index; // piece bytes -> lowest id
    private final int space; // id of the ' ' piece (the dummy prefix), or -1
    private final byte[][] bytePieces; // [256], the byte a <0xXX> token stands for
    private final byte[][] afterBos; // [vocab], each piece without its leading space
    private final int[] byteTokens; // [256], id of the <0xXX> piece of each byte (byte + 3 when absent)

    public Tokenizer(byte[][] pieces, float[] scores) {
        if (pieces.length != scores.length) {
            throw new ModelException("tokenizer: " + pieces.length + " pieces but " + scores.length + " scores");
        }
        if (pieces.length <= EOS) {
            throw new ModelException("tokenizer: " + pieces.length + " pieces, expected at least " + (EOS + 1)
                    + " (<unk>, BOS " + BOS + ", EOS " + EOS + ")");
        }
        this.pieces = pieces;
        this.scores = scores;
        this.index = new PieceIndex(pieces);
        this.space = index.find(new byte[] {' '}, 0, 1);
        this.afterBos = new byte[pieces.length][];
        for (int i = 0; i < pieces.length; i++) {
            byte[] p = pieces[i];
            afterBos[i] = p.length > 0 && p[0] == ' ' ? Arrays.copyOfRange(p, 1, p.length) : p;
        }
        this.byteTokens = new int[256];
        for (int b = 0; b < 256; b++) {
            byteTokens[b] = b + 3;
        }
        for (int i = pieces.length - 1; i >= 0; i--) {
            int b = byteFallback(pieces[i]);
            if (b >= 0) {
                byteTokens[b] = i;
            }
        }
        this.bytePieces = new byte[256][];
        for (int b = 0; b < 256; b++) {
            bytePieces[b] = new byte[] {(byte) b};
        }
    }

    @Override
    public int vocabSize() {
        return pieces.length;
    }

    @Override
    public byte[] piece(int id) {
        return pieces[checkId(id)];
    }

    public float score(int id) {
        return scores[checkId(id)];
    }

    /** {@code id}, or a {@link ModelException} when it is not a token of this vocabulary. */
    private int checkId(int id) {
        if (id < 0 || id >= pieces.length) {
            throw new ModelException("token id " + id + " is outside the vocabulary [0, " + pieces.length + ")");
        }
        return id;
    }

    /** The id of {@code piece}, or -1. */
    @Override
    public int lookup(byte[] piece) {
        return index.find(piece, 0, piece.length);
    }

    /**
     * Tokens of {@code text} as run.c's encode(text, bos, eos), id for id: BOS, the
     * dummy-prefix space, each UTF-8 code point as its piece or as byte tokens, then
     * run.c's merges (best score first, leftmost on ties) done by {@link MergeQueue} in
     * O(n log n) instead of run.c's rescan per merge. Thread-safe.
     */
    @Override
    public int[] encode(String text, boolean bos, boolean eos) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        int[] tokens = new int[utf8.length + 3];
        int n = 0;
        if (bos) {
            tokens[n++] = BOS;
        }
        if (utf8.length > 0) {
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
            int id = index.find(utf8, i, len);
            if (id != -1) {
                tokens[n++] = id;
            } else {
                for (int k = i; k < i + len; k++) {
                    int b = utf8[k] & 0xFF;
                    if (byteTokens[b] >= pieces.length) {
                        throw new ModelException(String.format("tokenizer has no <0x%02X> piece and only %d tokens:"
                                + " cannot encode byte 0x%02X of a code point it lacks", b, pieces.length, b));
                    }
                    tokens[n++] = byteTokens[b];
                }
            }
            i += len;
        }
        n = MergeQueue.merge(index, scores, tokens, n);
        if (eos) {
            tokens[n++] = EOS;
        }
        return Arrays.copyOf(tokens, n);
    }

    /**
     * The bytes run.c prints for {@code token} following {@code prev}: a leading space is
     * dropped after BOS, {@code <0xXX>} becomes the byte, and a lone byte that is neither
     * printable nor whitespace prints nothing (run.c's safe_printf). Never allocates; a
     * token outside the vocabulary is a {@link ModelException}.
     */
    @Override
    public byte[] decode(int prev, int token) {
        checkId(token);
        byte[] p = prev == BOS ? afterBos[token] : pieces[token];
        int b = byteFallback(p);
        if (b >= 0) {
            p = bytePieces[b];
        }
        if (p.length == 1) {
            int c = p[0] & 0xFF;
            boolean printable = c >= 0x20 && c <= 0x7E;
            boolean space = c == ' ' || (c >= '\t' && c <= '\r');
            if (!printable && !space) {
                return EMPTY;
            }
        }
        return p;
    }

    /** {@link #BOS}. */
    @Override
    public int bos() {
        return BOS;
    }

    /** {@link #EOS}. */
    @Override
    public int eos() {
        return EOS;
    }

    /** Always: run.c puts BOS in front of every prompt. */
    @Override
    public boolean addsBos() {
        return true;
    }

    /** Only {@link #EOS}. */
    @Override
    public boolean isEndOfGeneration(int id) {
        return id == EOS;
    }

    private static final byte[] EMPTY = new byte[0];

    /** The byte of a {@code <0xXX>} piece, or -1. */
    static int byteFallback(byte[] p) {
        if (p.length != 6 || p[0] != '<' || p[1] != '0' || p[2] != 'x' || p[5] != '>') {
            return -1;
        }
        int hi = Character.digit(p[3], 16);
        int lo = Character.digit(p[4], 16);
        return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
    }
}
