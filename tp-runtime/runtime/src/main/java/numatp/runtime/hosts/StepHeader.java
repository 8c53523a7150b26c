package numatp.runtime.hosts;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One engine step as world rank 0 broadcasts it to the other ranks: the entry count (or
 * {@link #STOP}), then per entry its token, slot, position and whether it wants logits (the
 * output head and its allgather run only for those, so every rank must know). Fixed size for
 * the engine's largest batch, so a follower can receive it without knowing {@code n}.
 */
final class StepHeader {
    /** The entry count that tells followers to stop. */
    static final int STOP = -1;
    private static final int FIELDS = 4;

    private final int maxBatch;
    private final MemorySegment ints;

    StepHeader(Arena arena, int maxBatch) {
        this.maxBatch = maxBatch;
        this.ints = arena.allocate(4L * ints(maxBatch), 64);
    }

    /** Ints in the header for {@code maxBatch} entries. */
    static long ints(int maxBatch) {
        return 1 + (long) FIELDS * maxBatch;
    }

    MemorySegment segment() {
        return ints;
    }

    /** Elements of 4 bytes to broadcast. */
    long count() {
        return ints(maxBatch);
    }

    void write(int n, int[] tokens, int[] slots, int[] positions, float[][] logits) {
        ints.setAtIndex(ValueLayout.JAVA_INT, 0, n);
        for (int i = 0; i < n; i++) {
            long at = 1 + (long) FIELDS * i;
            ints.setAtIndex(ValueLayout.JAVA_INT, at, tokens[i]);
            ints.setAtIndex(ValueLayout.JAVA_INT, at + 1, slots[i]);
            ints.setAtIndex(ValueLayout.JAVA_INT, at + 2, positions[i]);
            ints.setAtIndex(ValueLayout.JAVA_INT, at + 3, logits[i] != null ? 1 : 0);
        }
    }

    void writeStop() {
        ints.setAtIndex(ValueLayout.JAVA_INT, 0, STOP);
    }

    /** The entry count, or {@link #STOP}. */
    int entries() {
        return ints.getAtIndex(ValueLayout.JAVA_INT, 0);
    }

    /**
     * Reads entries [0, n) into the arrays; {@code logits[i]} becomes {@code buffers[i]} where the
     * entry wants logits, else null.
     */
    void read(int n, int[] tokens, int[] slots, int[] positions, float[][] logits, float[][] buffers) {
        for (int i = 0; i < n; i++) {
            long at = 1 + (long) FIELDS * i;
            tokens[i] = ints.getAtIndex(ValueLayout.JAVA_INT, at);
            slots[i] = ints.getAtIndex(ValueLayout.JAVA_INT, at + 1);
            positions[i] = ints.getAtIndex(ValueLayout.JAVA_INT, at + 2);
            logits[i] = ints.getAtIndex(ValueLayout.JAVA_INT, at + 3) != 0 ? buffers[i] : null;
        }
    }
}
