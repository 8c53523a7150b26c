package numatp.collectives.shm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** {@link RegionAllocator} over one shared arena; places nothing on a particular node. */
final class ArenaRegionAllocator implements RegionAllocator {
    private final Arena arena = Arena.ofShared();

    @Override
    public MemorySegment allocate(int node, long bytes) {
        return arena.allocate(bytes, 4096); // Arena.allocate zeroes the memory
    }

    @Override
    public void close() {
        arena.close();
    }
}
