package numatp.collectives.shm;

import java.lang.foreign.MemorySegment;

/**
 * Allocates a rank's shared region on a NUMA node. The default ({@link #shared()}) ignores
 * the node; a NUMA-binding allocator (mmap + mbind) plugs in here. Regions are zeroed,
 * page-aligned and readable and writable by every thread; they live until {@link #close()}.
 */
public interface RegionAllocator extends AutoCloseable {
    MemorySegment allocate(int node, long bytes);

    /** Frees every region this allocator handed out. */
    @Override
    void close();

    /** Page-aligned, zeroed memory from one {@code Arena.ofShared()}; the node is not enforced. */
    static RegionAllocator shared() {
        return new ArenaRegionAllocator();
    }
}
