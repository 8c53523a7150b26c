package numatp.collectives.shm;

import java.lang.foreign.Arena;

/** {@link RegionAllocator} over one shared arena; places nothing on a particular node. */
final class ArenaRegionAllocator implements RegionAllocator {
    private final Arena arena = Arena.ofShared();

    @Override
    public AllocatedRegion allocate(int node, long bytes) {
        // Arena.allocate zeroes the memory.
        return new AllocatedRegion(arena.allocate(bytes, 4096), "plain", "not bound: RegionAllocator.shared()");
    }

    @Override
    public void close() {
        arena.close();
    }
}
