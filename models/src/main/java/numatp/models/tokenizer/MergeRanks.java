package numatp.models.tokenizer;

import java.util.Arrays;

/**
 * The ranked merges of a byte-level BPE vocabulary in token-id space: (left id, right id)
 * to the merge's rank (its line in {@code tokenizer.ggml.merges}, lower merges first)
 * and the id of the merged token. An open-addressing table of {@code long} keys, three
 * flat arrays and no object per merge; the first rank given for a pair is kept, as
 * llama.cpp keeps it. Immutable once built; safe to share between threads.
 */
final class MergeRanks {
    private static final long EMPTY = -1L;

    private final long[] keys; // [capacity], left << 32 | right, or EMPTY
    private final int[] ranks; // [capacity]
    private final int[] merged; // [capacity], id of the concatenation
    private final int mask;
    private final int shift; // 64 - log2(capacity): Fibonacci hashing keeps the product's top bits
    private int size;

    /** A table for up to {@code expected} merges (kept at most 3/4 full). */
    MergeRanks(int expected) {
        int capacity = Integer.highestOneBit(Math.max(4, expected + expected / 3) * 2 - 1);
        this.keys = new long[capacity];
        this.ranks = new int[capacity];
        this.merged = new int[capacity];
        this.mask = capacity - 1;
        this.shift = 64 - Integer.numberOfTrailingZeros(capacity);
        Arrays.fill(keys, EMPTY);
    }

    /** Adds the merge of {@code left} and {@code right} into {@code result} unless the pair has one already. */
    void add(int left, int right, int rank, int result) {
        if (size + 1 > keys.length - keys.length / 4) {
            throw new IllegalStateException("merge table full: " + size + " of " + keys.length);
        }
        long key = key(left, right);
        int s = slot(key);
        while (keys[s] != EMPTY) {
            if (keys[s] == key) {
                return;
            }
            s = (s + 1) & mask;
        }
        keys[s] = key;
        ranks[s] = rank;
        merged[s] = result;
        size++;
    }

    int size() {
        return size;
    }

    /** The slot of the pair's merge, or -1 when the pair does not merge. */
    int find(int left, int right) {
        long key = key(left, right);
        for (int s = slot(key); keys[s] != EMPTY; s = (s + 1) & mask) {
            if (keys[s] == key) {
                return s;
            }
        }
        return -1;
    }

    int rank(int slot) {
        return ranks[slot];
    }

    int merged(int slot) {
        return merged[slot];
    }

    private static long key(int left, int right) {
        return (long) left << 32 | (right & 0xFFFFFFFFL);
    }

    private int slot(long key) {
        return (int) ((key * 0x9E3779B97F4A7C15L) >>> shift);
    }
}
