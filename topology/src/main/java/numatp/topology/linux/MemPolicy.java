package numatp.topology.linux;

/**
 * Memory policy modes of {@code set_mempolicy(2)}/{@code mbind(2)}, with the kernel's values
 * ({@code MPOL_*} in {@code linux/mempolicy.h}).
 */
public enum MemPolicy {
    /** Fall back to the thread policy (for a range) or local allocation (for a thread). */
    DEFAULT(0),
    /** Prefer the one given node; spill to others when it is full. */
    PREFERRED(1),
    /** Only the given nodes; the allocation fails (or the OOM killer runs) when they are full. */
    BIND(2),
    /** Round-robin pages over the given nodes. */
    INTERLEAVE(3),
    /** The node of the CPU that touches the page first. */
    LOCAL(4),
    /** Prefer any of the given nodes (Linux 5.15+). */
    PREFERRED_MANY(5);

    /** mbind flag: fail with EIO if existing pages do not follow the policy. */
    public static final int MF_STRICT = 1;
    /** mbind flag: migrate existing pages used only by this process. */
    public static final int MF_MOVE = 1 << 1;
    /** mbind flag: migrate all existing pages (needs CAP_SYS_NICE). */
    public static final int MF_MOVE_ALL = 1 << 2;

    /** get_mempolicy flag: return the node of {@code addr} (with F_ADDR) or of the next interleave. */
    public static final int F_NODE = 1;
    /** get_mempolicy flag: return the policy of the range at {@code addr}. */
    public static final int F_ADDR = 1 << 1;
    /** get_mempolicy flag: return the nodes the cpuset allows in the mask. */
    public static final int F_MEMS_ALLOWED = 1 << 2;

    /** Mode flags or-ed into the mode by the kernel or callers (static/relative nodes, numa balancing). */
    static final int MODE_FLAGS_MASK = (1 << 15) | (1 << 14) | (1 << 13);

    private final int code;

    MemPolicy(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** Decodes a mode returned by {@code get_mempolicy}, ignoring the mode flags in the high bits. */
    public static MemPolicy fromCode(int mode) {
        int bare = mode & ~MODE_FLAGS_MASK;
        for (MemPolicy p : values()) {
            if (p.code == bare) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown memory policy mode " + mode);
    }

    /** True when the mode takes a node mask ({@code DEFAULT} and {@code LOCAL} take none). */
    public boolean takesNodes() {
        return this != DEFAULT && this != LOCAL;
    }
}
