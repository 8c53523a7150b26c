package numatp.models.tp;

import numatp.models.ModelException;

/**
 * The argument rules of {@link SequenceEngine#step} and the state they depend on: the
 * position each slot continues at. Checks a step in O(n) without allocating; one message
 * per broken rule, naming the entry.
 */
public final class StepRules {
    private final int vocab;
    private final int slotCount;
    private final int slotPositions;
    private final int maxBatch;
    private final int[] nextPosition; // [slots] the position each slot continues at
    private final long[] seenInCheck; // [slots] the check that last saw the slot, to find separated entries
    private long check;

    public StepRules(int vocab, TpEngine.Capacity capacity) {
        this.vocab = vocab;
        this.slotCount = capacity.slots();
        this.slotPositions = capacity.slotPositions();
        this.maxBatch = capacity.maxBatchEntries();
        this.nextPosition = new int[slotCount];
        this.seenInCheck = new long[slotCount];
    }

    public void check(int n, int[] tokens, int[] slots, int[] positions, float[][] logits) {
        if (n < 0 || n > maxBatch) {
            throw new ModelException("step: n must be in [0, " + maxBatch + "] (max batch entries): " + n);
        }
        if (tokens == null || slots == null || positions == null || logits == null) {
            throw new ModelException("step: tokens, slots, positions and logits arrays must not be null");
        }
        if (tokens.length < n || slots.length < n || positions.length < n || logits.length < n) {
            throw new ModelException("step: arrays shorter than n=" + n + ": tokens " + tokens.length + ", slots "
                    + slots.length + ", positions " + positions.length + ", logits " + logits.length);
        }
        long c = ++check;
        for (int i = 0; i < n; i++) {
            int s = slots[i];
            if (s < 0 || s >= slotCount) {
                throw new ModelException("step: entry " + i + ": slot must be in [0, " + slotCount + "): " + s);
            }
            if (tokens[i] < 0 || tokens[i] >= vocab) {
                throw new ModelException("step: entry " + i + ": token must be in [0, " + vocab + "): " + tokens[i]);
            }
            int p = positions[i];
            if (p < 0 || p >= slotPositions) {
                throw new ModelException("step: entry " + i + ": position must be in [0, " + slotPositions
                        + ") (slot positions): " + p);
            }
            if (logits[i] != null && logits[i].length < vocab) {
                throw new ModelException("step: entry " + i + ": logits array has " + logits[i].length
                        + " floats, the vocabulary needs " + vocab);
            }
            if (i > 0 && slots[i - 1] == s) {
                if (p != positions[i - 1] + 1) {
                    throw new ModelException("step: entry " + i + " (slot " + s + "): positions of a slot must be"
                            + " consecutive: " + positions[i - 1] + " then " + p);
                }
                continue;
            }
            if (seenInCheck[s] == c) {
                throw new ModelException("step: entries of slot " + s + " must be adjacent: entry " + i
                        + " is separated from the slot's earlier entries");
            }
            seenInCheck[s] = c;
            if (p != 0 && p != nextPosition[s]) {
                throw new ModelException("step: entry " + i + " (slot " + s + "): position " + p
                        + " does not continue the slot (expected 0 or " + nextPosition[s] + ")");
            }
        }
    }

    /** Records that entries [0, n) ran. */
    public void advance(int n, int[] slots, int[] positions) {
        for (int i = 0; i < n; i++) {
            nextPosition[slots[i]] = positions[i] + 1;
        }
    }
}
