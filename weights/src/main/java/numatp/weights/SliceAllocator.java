package numatp.weights;

import java.lang.foreign.MemorySegment;

/**
 * Where weight slices live: memory bound to a NUMA node. The placement code supplies
 * a binding implementation; {@link ArenaSliceAllocator} is the plain default.
 */
public interface SliceAllocator {
    /** A zeroed, 64-byte aligned segment of {@code bytes} bytes on node {@code node}. */
    MemorySegment allocate(int node, long bytes);
}
