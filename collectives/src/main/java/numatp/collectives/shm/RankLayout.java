package numatp.collectives.shm;

/**
 * Offsets in one rank's region: control flags, then two data slots. The region is written
 * only by its rank (single writer) and read by its peers.
 *
 * <p>Epoch protocol: the data a rank publishes with sequence {@code e} lives in slot
 * {@code e & 1}; it is written before {@link #SEQ} is set to {@code e} (release) and read by
 * peers after they see {@code SEQ >= e} (acquire) and before they publish {@code e + 1}.
 */
public final class RankLayout {
    /** long flag: last published sequence number, increasing by one per epoch. Owner writes (release); peers read (acquire). */
    public static final long SEQ = 0;
    /** long: owner's process id (processes), 0 for threads. Owner writes before its first SEQ; peers read on timeout. */
    public static final long PID = 128;
    /** long flag: group generation this rank joined (processes). Owner writes (release); peers read at join. */
    public static final long JOINED = 256;
    /**
     * Call descriptors, two of them (call index parity) so a rank can start call n+1 while a
     * slow peer still checks call n. Each is {@link #DESCRIPTOR_LONGS} longs: call index, operation,
     * element type, count, root, algorithm. Owner writes before publishing the call's first
     * epoch; peers read after acquiring that epoch.
     */
    public static final long DESCRIPTOR = 384;
    public static final long DESCRIPTOR_STRIDE = 128;
    public static final int DESCRIPTOR_LONGS = 6;
    /**
     * long: the CPU the owner ran on when it last had to wait, plus one (0: unknown). Owner
     * writes (opaque) when it changes; a waiter reads it (opaque) to decide whether to spin, a
     * scheduling hint that never affects correctness.
     */
    public static final long CPU = 640;
    /** Start of slot 0; slot 1 follows it. Page-aligned. */
    public static final long DATA = 4096;

    private RankLayout() {
    }

    public static long descriptor(long callIndex) {
        return DESCRIPTOR + (callIndex & 1) * DESCRIPTOR_STRIDE;
    }

    /** Offset of the slot that holds data published with sequence {@code seq}. */
    public static long slot(long seq, long slotBytes) {
        return DATA + (seq & 1) * slotBytes;
    }

    public static long regionBytes(long slotBytes) {
        return DATA + 2 * slotBytes;
    }

    /** Distance between consecutive regions in a process group's file: whole pages, so each can be bound to its node. */
    public static long regionStride(long slotBytes) {
        return GroupLayout.align(regionBytes(slotBytes), 4096);
    }
}
