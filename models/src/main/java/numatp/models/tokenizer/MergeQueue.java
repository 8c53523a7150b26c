package numatp.models.tokenizer;

/**
 * run.c's merge loop in O(n log n): "while some adjacent pair concatenates to a piece of
 * score above -1e10, merge the pair of the best score, the leftmost of equal ones".
 *
 * <p>Symbols sit in a doubly linked list over their initial positions; a merge keeps the
 * left symbol's position, so the list order of positions stays the text order. Every
 * adjacent pair that can merge has an entry in a binary max-heap of {@code long} keys:
 * the score in the high 32 bits (as order-preserving bits) and the complement of the
 * left position in the low 32, so the heap's top is the best score, leftmost on ties —
 * exactly the pair run.c's left-to-right scan with a strict {@code >} picks. A merge
 * changes only the pairs on either side of it; their new entries are pushed and the old
 * ones are left in the heap and dropped when popped (lazy invalidation): an entry is
 * taken only if the pair now at its position still merges with that exact score, and
 * then the pair's own entry has the same key, so taking either is the same merge.
 *
 * <p>Not thread-safe: one instance per encode call.
 */
final class MergeQueue {
    /** run.c's initial {@code best_score}: merges scoring this or less are never made. */
    private static final float FLOOR = -1e10f;

    private final PieceIndex index;
    private final float[] scores; // [vocab]
    private final int[] ids; // [n], token of the symbol at each position; -1 once merged into its left
    private final int[] prev; // [n], position of the previous live symbol, or -1
    private final int[] next; // [n], position of the next live symbol, or -1
    private long[] heap; // [size], max-heap of (score bits << 32 | ~left position)
    private int size;

    private MergeQueue(PieceIndex index, float[] scores, int[] ids, int n) {
        this.index = index;
        this.scores = scores;
        this.ids = ids;
        this.prev = new int[n];
        this.next = new int[n];
        for (int i = 0; i < n; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        this.heap = new long[Math.max(16, 2 * n)];
    }

    /**
     * Merges {@code tokens[0, n)} in place as run.c does and returns the new count; the
     * merged tokens are left in {@code tokens[0, count)}.
     */
    static int merge(PieceIndex index, float[] scores, int[] tokens, int n) {
        if (n < 2) {
            return n;
        }
        MergeQueue q = new MergeQueue(index, scores, tokens, n);
        for (int i = 0; i + 1 < n; i++) {
            q.offer(i, i + 1);
        }
        q.run();
        int count = 0;
        for (int i = 0; i >= 0; i = q.next[i]) {
            tokens[count++] = tokens[i];
        }
        return count;
    }

    private void run() {
        while (size > 0) {
            long top = poll();
            int left = ~(int) top;
            int right = next[left];
            if (ids[left] < 0 || right < 0) {
                continue; // the left symbol was merged away, or is now last
            }
            int merged = index.findConcat(ids[left], ids[right]);
            if (merged < 0 || orderedBits(scores[merged]) != (int) (top >>> 32)) {
                continue; // stale: the pair at this position changed since the entry was pushed
            }
            ids[left] = merged;
            ids[right] = -1;
            int after = next[right];
            next[left] = after;
            if (after >= 0) {
                prev[after] = left;
                offer(left, after);
            }
            if (prev[left] >= 0) {
                offer(prev[left], left);
            }
        }
    }

    /** Pushes the pair (left, right) if it merges to a piece scoring above the floor. */
    private void offer(int left, int right) {
        int merged = index.findConcat(ids[left], ids[right]);
        if (merged < 0) {
            return;
        }
        float score = scores[merged];
        if (!(score > FLOOR)) {
            return; // run.c never picks it (NaN included)
        }
        push((long) orderedBits(score) << 32 | (~left & 0xFFFFFFFFL));
    }

    /**
     * Bits of {@code score} whose signed int order is the float order; -0 and +0 get the
     * same bits because run.c's {@code >} treats them as equal.
     */
    private static int orderedBits(float score) {
        int bits = Float.floatToRawIntBits(score + 0.0f); // -0 + 0 = +0
        return bits >= 0 ? bits : bits ^ 0x7FFFFFFF;
    }

    private void push(long key) {
        if (size == heap.length) {
            heap = java.util.Arrays.copyOf(heap, size * 2);
        }
        int i = size++;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (heap[parent] >= key) {
                break;
            }
            heap[i] = heap[parent];
            i = parent;
        }
        heap[i] = key;
    }

    private long poll() {
        long top = heap[0];
        long last = heap[--size];
        int i = 0;
        int half = size >>> 1;
        while (i < half) {
            int child = 2 * i + 1;
            if (child + 1 < size && heap[child + 1] > heap[child]) {
                child++;
            }
            if (last >= heap[child]) {
                break;
            }
            heap[i] = heap[child];
            i = child;
        }
        heap[i] = last;
        return top;
    }
}
