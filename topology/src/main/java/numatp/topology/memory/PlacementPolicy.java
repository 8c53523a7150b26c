package numatp.topology.memory;

import numatp.topology.linux.MemPolicy;

/**
 * How strictly memory goes to the node, in fallback order: each policy falls back to the next.
 */
public enum PlacementPolicy {
    /** Only the node ({@code MPOL_BIND | MPOL_MF_STRICT}); refused up front when the node lacks free memory. */
    BIND(MemPolicy.BIND),
    /** The node while it has free pages, then others ({@code MPOL_PREFERRED}). */
    PREFERRED(MemPolicy.PREFERRED),
    /** Pages round-robin over a node set ({@code MPOL_INTERLEAVE}), by default all allowed nodes. */
    INTERLEAVE(MemPolicy.INTERLEAVE),
    /** No policy: where the first touching thread runs (local allocation). */
    PLAIN(MemPolicy.DEFAULT);

    private final MemPolicy kernelMode;

    PlacementPolicy(MemPolicy kernelMode) {
        this.kernelMode = kernelMode;
    }

    public MemPolicy kernelMode() {
        return kernelMode;
    }

    /** The policy tried after this one fails; PLAIN is last. */
    public PlacementPolicy next() {
        return this == PLAIN ? PLAIN : values()[ordinal() + 1];
    }

    /** Lower-case name as used on the command line and in messages. */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
