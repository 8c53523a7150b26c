package numatp.models.tokenizer;

import numatp.models.ModelException;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * Byte-level BPE as GGUF {@code gpt2} vocabularies (GPT-2, Llama 3, Qwen2, DeepSeek,
 * StarCoder...) define it and llama.cpp applies it: special tokens written in the text
 * are cut out first (user-defined ones always, control ones only when asked), the rest
 * is split into words by the {@link PreTokenizer}, and inside each word the UTF-8 bytes
 * are merged pair by pair, the pair of lowest merge rank first (the leftmost of equal
 * ones), until no adjacent pair has a merge.
 *
 * <p>Everything works on ids: token texts are stored through GPT-2's byte-to-character
 * map ({@link ByteUnicode}), so each is turned back into the bytes it stands for once,
 * at load, and the merges become (left id, right id) → (rank, merged id). Decoding is
 * a table lookup: normal tokens give their bytes, control and user-defined tokens
 * their text, unused, unknown and byte-typed tokens nothing.
 */
public final class BpeTokenizer implements TextTokenizer {
    /**
     * A byte-level BPE vocabulary as a GGUF file states it.
     *
     * @param source          where it came from, for messages (a file path)
     * @param tokens          token texts in GPT-2's byte-to-character spelling ({@code tokenizer.ggml.tokens})
     * @param types           {@link TokenType} of each token, same length
     * @param merges          "left right" pairs, best first ({@code tokenizer.ggml.merges})
     * @param bos             BOS id, or -1
     * @param eos             EOS id, or -1
     * @param endOfGeneration ids that end a reply besides EOS (end of turn, end of message)
     * @param addBos          whether a sequence starts with BOS
     * @param addEos          whether a sequence ends with EOS
     */
    public record Vocabulary(String source, String[] tokens, int[] types, String[] merges, PreTokenizer pre,
                             int bos, int eos, int[] endOfGeneration, boolean addBos, boolean addEos) {
        public Vocabulary {
            if (tokens.length == 0) {
                throw new ModelException(source + ": tokenizer.ggml.tokens is empty");
            }
            if (types.length != tokens.length) {
                throw new ModelException(source + ": tokenizer.ggml.token_type has " + types.length
                        + " entries for " + tokens.length + " tokens");
            }
            for (int i = 0; i < types.length; i++) {
                if (!TokenType.isValid(types[i])) {
                    throw new ModelException(source + ": tokenizer.ggml.token_type[" + i + "] is " + types[i]
                            + ", expected 0..6");
                }
            }
            checkId(source, "bos_token_id", bos, tokens.length);
            checkId(source, "eos_token_id", eos, tokens.length);
            for (int id : endOfGeneration) {
                checkId(source, "end-of-generation id", id, tokens.length);
            }
            if (addBos && bos < 0) {
                throw new ModelException(source + ": tokenizer.ggml.add_bos_token is true but there is no BOS id");
            }
            if (addEos && eos < 0) {
                throw new ModelException(source + ": tokenizer.ggml.add_eos_token is true but there is no EOS id");
            }
        }

        private static void checkId(String source, String key, int id, int vocab) {
            if (id < -1 || id >= vocab) {
                throw new ModelException(source + ": tokenizer.ggml." + key + " is " + id + ", expected [0, "
                        + vocab + ")");
            }
        }
    }

    private static final int DEAD = Integer.MIN_VALUE; // a symbol merged into its left neighbour

    private final String source;
    private final PreTokenizer pre;
    private final byte[][] pieces; // [vocab], what each token decodes to
    private final byte[] types; // [vocab], TokenType
    private final PieceIndex index; // bytes a token stands for in merging -> id (null: control texts outside the byte map)
    private final MergeRanks merges;
    private final int[] byteTokens; // [256], id of the token that is that single byte, or -1
    private final int[] specials; // ids of control, user-defined and unknown tokens, longest text first
    private final String[] specialTexts; // [specials.length], their texts
    private final int bos;
    private final int eos;
    private final int[] endOfGeneration; // eos and the other ids that end a reply
    private final boolean addBos;
    private final boolean addEos;
    private final int skippedMerges;

    public BpeTokenizer(Vocabulary v) {
        this.source = v.source();
        this.pre = v.pre();
        int n = v.tokens().length;
        this.pieces = new byte[n][];
        this.types = new byte[n];
        byte[][] keys = new byte[n][];
        byte[] buf = new byte[64];
        for (int i = 0; i < n; i++) {
            String t = v.tokens()[i];
            int type = v.types()[i] == TokenType.UNDEFINED ? TokenType.NORMAL : v.types()[i];
            types[i] = (byte) type;
            if (buf.length < t.length()) {
                buf = new byte[t.length() * 2];
            }
            int len = ByteUnicode.decode(t, 0, t.length(), buf);
            keys[i] = len < 0 ? null : Arrays.copyOf(buf, len);
            pieces[i] = switch (type) {
                case TokenType.NORMAL -> keys[i] != null ? keys[i] : t.getBytes(StandardCharsets.UTF_8);
                case TokenType.CONTROL, TokenType.USER_DEFINED -> t.getBytes(StandardCharsets.UTF_8);
                default -> EMPTY;
            };
        }
        this.index = new PieceIndex(keys);
        this.byteTokens = new int[256];
        for (int b = 0; b < 256; b++) {
            byteTokens[b] = index.find(new byte[] {(byte) b}, 0, 1);
        }
        this.merges = new MergeRanks(v.merges().length);
        int skipped = 0;
        for (int rank = 0; rank < v.merges().length; rank++) {
            String m = v.merges()[rank];
            if (!addMerge(m, rank, buf.length >= m.length() ? buf : (buf = new byte[m.length() * 2]))) {
                skipped++;
            }
        }
        this.skippedMerges = skipped;
        this.specials = IntStream.range(0, n)
                .filter(i -> types[i] == TokenType.CONTROL || types[i] == TokenType.USER_DEFINED
                        || types[i] == TokenType.UNKNOWN)
                .filter(i -> !v.tokens()[i].isEmpty())
                .boxed()
                .sorted(Comparator.<Integer>comparingInt(i -> -v.tokens()[i].length()).thenComparingInt(i -> i))
                .mapToInt(Integer::intValue).toArray();
        this.specialTexts = new String[specials.length];
        for (int k = 0; k < specials.length; k++) {
            specialTexts[k] = v.tokens()[specials[k]];
        }
        this.bos = v.bos();
        this.eos = v.eos();
        this.endOfGeneration = IntStream.concat(IntStream.of(v.eos()), IntStream.of(v.endOfGeneration()))
                .filter(id -> id >= 0).distinct().toArray();
        this.addBos = v.addBos();
        this.addEos = v.addEos();
    }

    /**
     * Adds merge {@code m} ("left right", split at the first space after its first
     * character) at {@code rank}; false when a side or the result is no token, so the
     * merge can never apply.
     */
    private boolean addMerge(String m, int rank, byte[] buf) {
        int space = m.indexOf(' ', 1);
        if (space < 0) {
            throw new ModelException(source + ": tokenizer.ggml.merges[" + rank + "] has no space: \"" + m + "\"");
        }
        int leftLen = ByteUnicode.decode(m, 0, space, buf);
        if (leftLen < 0) {
            return false;
        }
        int left = index.find(buf, 0, leftLen);
        int rightLen = ByteUnicode.decode(m, space + 1, m.length(), buf);
        if (left < 0 || rightLen < 0) {
            return false;
        }
        int right = index.find(buf, 0, rightLen);
        int result = right < 0 ? -1 : index.findConcat(left, right);
        if (result < 0) {
            return false;
        }
        merges.add(left, right, rank, result);
        return true;
    }

    /** Where the vocabulary came from. */
    public String source() {
        return source;
    }

    public PreTokenizer preTokenizer() {
        return pre;
    }

    /** Merges that can never apply (a side or the result is no token); 0 in a well-formed file. */
    public int skippedMerges() {
        return skippedMerges;
    }

    /** Whether some token is the single byte {@code b}; a byte none is gets dropped from the text, as in llama.cpp. */
    public boolean spellsByte(int b) {
        return b >= 0 && b < 256 && byteTokens[b] >= 0;
    }

    /** The {@link TokenType} of {@code id}. */
    public int type(int id) {
        check(id);
        return types[id];
    }

    @Override
    public int vocabSize() {
        return pieces.length;
    }

    @Override
    public byte[] piece(int id) {
        check(id);
        return pieces[id];
    }

    @Override
    public int lookup(byte[] piece) {
        int id = index.find(piece, 0, piece.length);
        if (id >= 0 && Arrays.equals(pieces[id], piece)) {
            return id;
        }
        for (int k = specials.length - 1; k >= 0; k--) {
            if (Arrays.equals(pieces[specials[k]], piece)) {
                return specials[k];
            }
        }
        return -1;
    }

    @Override
    public int[] encode(String text, boolean bos, boolean eos) {
        return encode(text, bos, eos, false);
    }

    /**
     * The tokens of {@code text}, as llama.cpp's {@code llama_tokenize(text, addSpecial =
     * bos || eos, parseSpecial)}: with {@code parseSpecial} control tokens written in the
     * text become their ids; user-defined tokens always do.
     */
    public int[] encode(String text, boolean bos, boolean eos, boolean parseSpecial) {
        Session s = new Session(text.length());
        if (bos && addBos) {
            s.emit(this.bos);
        }
        Fragments f = partition(text, parseSpecial);
        for (int k = 0; k < f.n; k++) {
            if (f.ids[k] >= 0) {
                s.emit(f.ids[k]);
            } else {
                encodeText(text, f.starts[k], f.ends[k], s);
            }
        }
        if (eos && addEos) {
            s.emit(this.eos);
        }
        return Arrays.copyOf(s.out, s.outN);
    }

    @Override
    public byte[] decode(int prev, int token) {
        check(token);
        return pieces[token];
    }

    @Override
    public int bos() {
        return bos;
    }

    @Override
    public int eos() {
        return eos;
    }

    @Override
    public boolean addsBos() {
        return addBos;
    }

    /** Whether {@link #encode} with {@code eos} puts EOS at the end. */
    public boolean addsEos() {
        return addEos;
    }

    @Override
    public boolean isEndOfGeneration(int id) {
        for (int e : endOfGeneration) {
            if (e == id) {
                return true;
            }
        }
        return false;
    }

    private void check(int id) {
        if (id < 0 || id >= pieces.length) {
            throw new ModelException(source + ": token id " + id + " is outside the vocabulary [0, "
                    + pieces.length + ")");
        }
    }

    /** Pieces of the text in order: special tokens (id >= 0) and text ranges between them (id -1). */
    private static final class Fragments {
        int[] starts = new int[4];
        int[] ends = new int[4];
        int[] ids = new int[4];
        int n;

        void add(int start, int end, int id) {
            if (n == ids.length) {
                starts = Arrays.copyOf(starts, n * 2);
                ends = Arrays.copyOf(ends, n * 2);
                ids = Arrays.copyOf(ids, n * 2);
            }
            starts[n] = start;
            ends[n] = end;
            ids[n] = id;
            n++;
        }
    }

    /**
     * Cuts special tokens out of {@code text}, longest token first, each at its leftmost
     * non-overlapping occurrences in the text still left (llama.cpp's order, so a longer
     * token wins over a shorter one inside it).
     */
    private Fragments partition(String text, boolean parseSpecial) {
        Fragments cur = new Fragments();
        if (!text.isEmpty()) {
            cur.add(0, text.length(), -1);
        }
        for (int k = 0; k < specials.length; k++) {
            int id = specials[k];
            if (!parseSpecial && types[id] != TokenType.USER_DEFINED) {
                continue;
            }
            String t = specialTexts[k];
            Fragments next = null;
            for (int f = 0; f < cur.n; f++) {
                int at = cur.ids[f] >= 0 ? -1 : indexOf(text, t, cur.starts[f], cur.ends[f]);
                if (at < 0) {
                    if (next != null) {
                        next.add(cur.starts[f], cur.ends[f], cur.ids[f]);
                    }
                    continue;
                }
                if (next == null) {
                    next = new Fragments();
                    for (int g = 0; g < f; g++) {
                        next.add(cur.starts[g], cur.ends[g], cur.ids[g]);
                    }
                }
                int from = cur.starts[f];
                while (at >= 0) {
                    if (at > from) {
                        next.add(from, at, -1);
                    }
                    next.add(at, at + t.length(), id);
                    from = at + t.length();
                    at = indexOf(text, t, from, cur.ends[f]);
                }
                if (from < cur.ends[f]) {
                    next.add(from, cur.ends[f], -1);
                }
            }
            if (next != null) {
                cur = next;
            }
        }
        return cur;
    }

    /** The first index of {@code t} in {@code text[from, to)}, or -1. */
    private static int indexOf(String text, String t, int from, int to) {
        int at = text.indexOf(t, from);
        return at >= 0 && at + t.length() <= to ? at : -1;
    }

    /** Pre-tokenizes {@code text[from, to)} and merges each word. */
    private void encodeText(String text, int from, int to, Session s) {
        int[] words = pre.split(text, from, to);
        for (int w = 0; w + 1 < words.length; w++) {
            int n = s.utf8(text, words[w], words[w + 1]);
            encodeWord(s, n);
        }
    }

    /** BPE over the {@code n} bytes in {@code s.bytes}, tokens appended to {@code s.out}. */
    private void encodeWord(Session s, int n) {
        byte[] bytes = s.bytes;
        if (n == 0) {
            return;
        }
        if (pre.ignoresMerges()) {
            int whole = index.find(bytes, 0, n);
            if (whole >= 0) {
                s.emit(whole);
                return;
            }
        }
        s.reset(n);
        int[] ids = s.ids;
        int[] prev = s.prev;
        int[] next = s.next;
        for (int i = 0; i < n; i++) {
            ids[i] = byteTokens[bytes[i] & 0xFF];
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        for (int i = 0; i + 1 < n; i++) {
            push(s, i, i + 1);
        }
        while (s.heapN > 0) {
            long top = s.pop();
            int left = (int) top;
            int rank = (int) (top >>> 32);
            int right = next[left];
            if (ids[left] == DEAD || right < 0) {
                continue;
            }
            int slot = ids[left] < 0 || ids[right] < 0 ? -1 : merges.find(ids[left], ids[right]);
            if (slot < 0 || merges.rank(slot) != rank) {
                continue; // stale: one side has merged since this pair was queued
            }
            ids[left] = merges.merged(slot);
            ids[right] = DEAD;
            next[left] = next[right];
            if (next[right] >= 0) {
                prev[next[right]] = left;
            }
            if (prev[left] >= 0) {
                push(s, prev[left], left);
            }
            if (next[left] >= 0) {
                push(s, left, next[left]);
            }
        }
        for (int i = 0; i >= 0; i = next[i]) {
            if (ids[i] >= 0) {
                s.emit(ids[i]); // a byte no token stands for is dropped, as llama.cpp drops it
            }
        }
    }

    /** Queues the pair at {@code left}, {@code right} when it has a merge. */
    private void push(Session s, int left, int right) {
        int a = s.ids[left];
        int b = s.ids[right];
        if (a < 0 || b < 0) {
            return;
        }
        int slot = merges.find(a, b);
        if (slot >= 0) {
            s.push((long) merges.rank(slot) << 32 | left);
        }
    }

    /**
     * Scratch of one encode call: the output, one word's UTF-8 bytes, its symbol list and
     * a min-heap of (rank << 32 | left position), so the lowest rank, then the leftmost,
     * comes out first.
     */
    private static final class Session {
        int[] out;
        int outN;
        byte[] bytes = new byte[64];
        int[] ids = new int[64];
        int[] prev = new int[64];
        int[] next = new int[64];
        long[] heap = new long[64];
        int heapN;

        Session(int textLength) {
            out = new int[Math.max(8, textLength / 2)];
        }

        void emit(int id) {
            if (outN == out.length) {
                out = Arrays.copyOf(out, outN * 2);
            }
            out[outN++] = id;
        }

        void reset(int n) {
            if (ids.length < n) {
                ids = new int[n];
                prev = new int[n];
                next = new int[n];
            }
            heapN = 0;
        }

        /** Writes the UTF-8 of {@code text[from, to)} to {@link #bytes}; lone surrogates become '?'. */
        int utf8(String text, int from, int to) {
            if (bytes.length < (to - from) * 3) {
                bytes = new byte[(to - from) * 3];
            }
            int n = 0;
            for (int i = from; i < to; i++) {
                char c = text.charAt(i);
                if (c < 0x80) {
                    bytes[n++] = (byte) c;
                } else if (c < 0x800) {
                    bytes[n++] = (byte) (0xC0 | c >> 6);
                    bytes[n++] = (byte) (0x80 | (c & 0x3F));
                } else if (Character.isHighSurrogate(c) && i + 1 < to && Character.isLowSurrogate(text.charAt(i + 1))) {
                    int cp = Character.toCodePoint(c, text.charAt(++i));
                    bytes[n++] = (byte) (0xF0 | cp >> 18);
                    bytes[n++] = (byte) (0x80 | (cp >> 12 & 0x3F));
                    bytes[n++] = (byte) (0x80 | (cp >> 6 & 0x3F));
                    bytes[n++] = (byte) (0x80 | (cp & 0x3F));
                } else if (Character.isSurrogate(c)) {
                    bytes[n++] = '?';
                } else {
                    bytes[n++] = (byte) (0xE0 | c >> 12);
                    bytes[n++] = (byte) (0x80 | (c >> 6 & 0x3F));
                    bytes[n++] = (byte) (0x80 | (c & 0x3F));
                }
            }
            return n;
        }

        void push(long key) {
            if (heapN == heap.length) {
                heap = Arrays.copyOf(heap, heapN * 2);
            }
            int i = heapN++;
            while (i > 0) {
                int parent = (i - 1) >>> 1;
                if (heap[parent] <= key) {
                    break;
                }
                heap[i] = heap[parent];
                i = parent;
            }
            heap[i] = key;
        }

        long pop() {
            long top = heap[0];
            long last = heap[--heapN];
            int i = 0;
            while (true) {
                int child = 2 * i + 1;
                if (child >= heapN) {
                    break;
                }
                if (child + 1 < heapN && heap[child + 1] < heap[child]) {
                    child++;
                }
                if (heap[child] >= last) {
                    break;
                }
                heap[i] = heap[child];
                i = child;
            }
            heap[i] = last;
            return top;
        }
    }

    private static final byte[] EMPTY = new byte[0];
}
