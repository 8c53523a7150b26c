package numatp.weights;

import java.lang.foreign.MemorySegment;

/**
 * Where weight slices (and KV caches) live: memory for a NUMA node.
 * {@link NodeSliceAllocator} places it with {@code NodeMemory}; {@link ArenaSliceAllocator}
 * is the unbound default.
 */
public interface SliceAllocator {
    /** A zeroed, 64-byte aligned segment of {@code bytes} bytes on node {@code node}. */
    MemorySegment allocate(int node, long bytes);

    /**
     * Share of {@code segment}'s bytes (allocated here) that sit on {@code node}, in [0, 1],
     * or NaN when this allocator cannot tell.
     */
    default double fractionOnNode(MemorySegment segment, int node) {
        return Double.NaN;
    }

    /** How memory is placed, for statistics lines ("unbound arena", "node memory, bind"). */
    default String description() {
        return getClass().getSimpleName();
    }
}
