package numatp.collectives.shm;

/**
 * Offsets in a group's header segment (one per group; for processes the first bytes of the
 * {@code /dev/shm} file). Flags written by different parties sit 128 bytes apart.
 */
public final class GroupLayout {
    /** "NUMATPC1" as a little-endian long. Creator writes before {@link #STATE}; joiners check. */
    public static final long MAGIC_VALUE = 0x3143_5054_414D_554EL;
    /** Layout version; bumped on any change of this class or {@link RankLayout}. */
    public static final int VERSION_VALUE = 4;
    /** Largest group a header can describe. */
    public static final int MAX_RANKS = 256;
    public static final int MAX_REASON_BYTES = 1024;

    /** long: {@link #MAGIC_VALUE}. Written by the creator (rank 0) once; read by joiners. */
    public static final long MAGIC = 0;
    /** int: {@link #VERSION_VALUE}. Creator writes; joiners check. */
    public static final long VERSION = 8;
    /** int: number of ranks. Creator writes; joiners check against their own count. */
    public static final long RANK_COUNT = 12;
    /** long: bytes of one data slot. Creator writes; joiners check. */
    public static final long SLOT_BYTES = 16;
    /** long: bytes of one rank region, buffer area included ({@link RankLayout#regionBytes}). Creator writes; joiners check. */
    public static final long REGION_BYTES = 24;
    /** long: generation of this file, increased each time a stale file is replaced. Creator writes. */
    public static final long GENERATION = 32;
    /** long: pid of the creating process, used to tell stale files from live ones. Creator writes. */
    public static final long CREATOR_PID = 40;
    /** long flag: {@link #STATE_READY} once every field above is written (release). Creator writes; joiners acquire. */
    public static final long STATE = 128;
    public static final long STATE_READY = 1;
    /**
     * long flag: 0 running, {@link #ABORT_CLAIMED} while the first aborter writes its reason,
     * {@link #ABORT_PUBLISHED} after (release). Any rank CASes 0 to CLAIMED; every waiter reads (acquire).
     */
    public static final long ABORT_STATE = 256;
    public static final long ABORT_CLAIMED = 1;
    public static final long ABORT_PUBLISHED = 2;
    /** long: rank that aborted. Written by the aborter before ABORT_PUBLISHED; read by everyone after. */
    public static final long ABORT_RANK = 264;
    /** int: length of the UTF-8 reason. Aborter writes; everyone reads after ABORT_PUBLISHED. */
    public static final long ABORT_REASON_LENGTH = 272;
    /** bytes: UTF-8 reason, at most {@link #MAX_REASON_BYTES}. Aborter writes; everyone reads. */
    public static final long ABORT_REASON = 384;
    /** int[rankCount]: node of each rank. Creator writes; joiners check against theirs. */
    public static final long NODE_TABLE = ABORT_REASON + MAX_REASON_BYTES;
    /**
     * int[rankCount]: memory policy of each rank's region (processes), {@code 1 +
     * PlacementPolicy.ordinal()}, 0 unknown. Creator writes after binding the regions; joiners read.
     */
    public static final long POLICY_TABLE = NODE_TABLE + 4L * MAX_RANKS;

    private GroupLayout() {
    }

    /** Header size for {@code ranks} ranks, a multiple of 4096 so rank regions start page-aligned. */
    public static long headerBytes(int ranks) {
        return align(POLICY_TABLE + 4L * ranks, 4096);
    }

    static long align(long value, long alignment) {
        return (value + alignment - 1) / alignment * alignment;
    }
}
