package numatp.collectives.shm;

/**
 * Offsets in one rank's region: control flags, two data slots, then the buffer area that
 * {@code Communicator.allocateBuffer} hands out. The region is written only by its rank (single
 * writer) and read by its peers.
 *
 * <p>Epoch protocol: the data a rank publishes with sequence {@code e} lives in slot
 * {@code e & 1}; it is written before {@link #SEQ} is set to {@code e} (release) and read by
 * peers after they see {@code SEQ >= e} (acquire) and before they publish {@code e + 1}.
 */
public final class RankLayout {
    /** long flag: last published sequence number, increasing by one per epoch. Owner writes (release); peers read (acquire). */
    public static final long SEQ = 0;
    /**
     * long: owner's process id (processes), 0 for threads. Owner writes (release) right after mapping
     * the file, before {@link #JOINED}; peers read it (acquire) to check the owner still runs, every
     * 50 ms while joining or waiting for it in a call, and on timeout.
     */
    public static final long PID = 128;
    /** long flag: group generation this rank joined (processes). Owner writes (release); peers read at join. */
    public static final long JOINED = 256;
    /**
     * Call descriptors, two of them (call index parity) so a rank can start call n+1 while a
     * slow peer still checks call n. Each is {@link #DESCRIPTOR_LONGS} longs: the element count,
     * then call index (low 32 bits), operation, element type, algorithm and root packed by
     * {@link #packCall}. They share {@link #SEQ}'s cache line, so the acquire that sees a call's
     * first epoch brings its descriptor along (a separate line cost a second cross-core miss on
     * every call). Owner writes before publishing the call's first epoch; peers read after
     * acquiring that epoch.
     */
    public static final long DESCRIPTOR = 8;
    public static final long DESCRIPTOR_STRIDE = 16;
    public static final int DESCRIPTOR_LONGS = 2;
    /**
     * long[2] by call index parity, like the descriptors and on their line: where the allreduce
     * call's buffer starts in the owner's buffer area ({@link #buffers}), or -1 when it is outside
     * (then peers read the owner's slots). Process groups with a buffer area only. Owner writes
     * before publishing the call's first epoch; peers read after acquiring that epoch.
     */
    public static final long IN_PLACE = 40;
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

    /**
     * A call's identity in one long: call index (low 32 bits) in bits 32-63, operation in 24-31,
     * element type + 1 in 20-23, algorithm + 1 in 16-19, root + 1 in 0-15 (-1 meaning none for
     * the last three).
     */
    public static long packCall(long callIndex, int op, int type, int algorithm, int root) {
        return (callIndex & 0xFFFF_FFFFL) << 32 | (long) (op & 0xFF) << 24 | (long) ((type + 1) & 0xF) << 20
                | (long) ((algorithm + 1) & 0xF) << 16 | ((root + 1) & 0xFFFF);
    }

    public static long callIndexOf(long packed) {
        return packed >>> 32;
    }

    public static int opOf(long packed) {
        return (int) (packed >>> 24) & 0xFF;
    }

    public static int typeOf(long packed) {
        return ((int) (packed >>> 20) & 0xF) - 1;
    }

    public static int algorithmOf(long packed) {
        return ((int) (packed >>> 16) & 0xF) - 1;
    }

    public static int rootOf(long packed) {
        return ((int) packed & 0xFFFF) - 1;
    }

    public static long descriptor(long callIndex) {
        return DESCRIPTOR + (callIndex & 1) * DESCRIPTOR_STRIDE;
    }

    /** Offset of the slot that holds data published with sequence {@code seq}. */
    public static long slot(long seq, long slotBytes) {
        return DATA + (seq & 1) * slotBytes;
    }

    public static long inPlace(long callIndex) {
        return IN_PLACE + (callIndex & 1) * 8;
    }

    /** Start of the buffer area, after the two slots. */
    public static long buffers(long slotBytes) {
        return DATA + 2 * slotBytes;
    }

    public static long regionBytes(long slotBytes) {
        return regionBytes(slotBytes, 0);
    }

    public static long regionBytes(long slotBytes, long bufferBytes) {
        return buffers(slotBytes) + bufferBytes;
    }

    /** Distance between consecutive regions in a process group's file: whole pages, so each can be bound to its node. */
    public static long regionStride(long slotBytes, long bufferBytes) {
        return GroupLayout.align(regionBytes(slotBytes, bufferBytes), 4096);
    }
}
