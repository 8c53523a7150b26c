package numatp.topology.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Memory from {@link NodeMemory#allocate}: a page-aligned segment owned by its own shared arena,
 * and the record of how it was placed. Closing it closes the arena, which unmaps the memory; the
 * segment must not be used afterwards (accesses then fail with {@code IllegalStateException}).
 */
public final class NodeAllocation implements AutoCloseable {
    private final Arena arena;
    private final MemorySegment segment;
    private final Placement placement;

    NodeAllocation(Arena arena, MemorySegment segment, Placement placement) {
        this.arena = arena;
        this.segment = segment;
        this.placement = placement;
    }

    /** The memory: {@code requestedBytes} long, page-aligned, readable and writable from any thread. */
    public MemorySegment segment() {
        return segment;
    }

    /** The arena owning the segment, to allocate views with the same lifetime. */
    public Arena arena() {
        return arena;
    }

    public Placement placement() {
        return placement;
    }

    @Override
    public void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }
}
