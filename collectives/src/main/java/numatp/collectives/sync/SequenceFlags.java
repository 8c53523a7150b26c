package numatp.collectives.sync;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * Release/acquire access to 8-byte flags in shared segments. A flag has one writer and
 * holds a monotonically increasing sequence number; readers compare "reached or passed"
 * ({@code value >= expected}), never equality, because a peer may already be a step ahead.
 * Offsets must be 8-byte aligned in a segment whose base is at least 8-byte aligned.
 */
public final class SequenceFlags {
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();

    private SequenceFlags() {
    }

    public static long getAcquire(MemorySegment segment, long offset) {
        return (long) LONG.getAcquire(segment, offset);
    }

    public static void setRelease(MemorySegment segment, long offset, long value) {
        LONG.setRelease(segment, offset, value);
    }

    /** For hints that order nothing else (e.g. a rank's last CPU). */
    public static long getOpaque(MemorySegment segment, long offset) {
        return (long) LONG.getOpaque(segment, offset);
    }

    public static void setOpaque(MemorySegment segment, long offset, long value) {
        LONG.setOpaque(segment, offset, value);
    }

    public static long getVolatile(MemorySegment segment, long offset) {
        return (long) LONG.getVolatile(segment, offset);
    }

    public static void setVolatile(MemorySegment segment, long offset, long value) {
        LONG.setVolatile(segment, offset, value);
    }

    public static boolean compareAndSet(MemorySegment segment, long offset, long expected, long value) {
        return LONG.compareAndSet(segment, offset, expected, value);
    }
}
