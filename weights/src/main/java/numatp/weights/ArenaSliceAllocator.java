package numatp.weights;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** Allocates from one shared {@link Arena}, ignoring the node (no binding). */
public final class ArenaSliceAllocator implements SliceAllocator {
    private final Arena arena;

    public ArenaSliceAllocator(Arena arena) {
        this.arena = arena;
    }

    /** An allocator whose memory lives as long as the JVM (for the CLI). */
    public static ArenaSliceAllocator global() {
        return new ArenaSliceAllocator(Arena.global());
    }

    @Override
    public MemorySegment allocate(int node, long bytes) {
        return arena.allocate(bytes, 64);
    }

    @Override
    public String description() {
        return "unbound arena";
    }
}
