package numatp.collectives.shm;

import java.lang.foreign.MemorySegment;

/**
 * Allocates each rank's shared region on the rank's NUMA node. Regions are zeroed,
 * page-aligned and readable and writable by every thread; they live until {@link #close()}.
 * The default ({@link #nodeBound()}) binds each region to its node where the machine allows;
 * {@link #shared()} ignores nodes.
 */
public interface RegionAllocator extends AutoCloseable {
    /** A region of {@code bytes} for a rank on {@code node}, and how it was placed. */
    AllocatedRegion allocate(int node, long bytes);

    /** Frees every region this allocator handed out. */
    @Override
    void close();

    /**
     * A region and the memory policy it got.
     *
     * @param segment the zeroed, page-aligned memory
     * @param policy {@code bind}, {@code preferred}, {@code interleave}, or {@code plain} (no
     *               policy: each page lands on the node of the thread that first writes it, which
     *               is the owning rank's thread since only the owner writes its region)
     * @param note why the policy is not {@code bind}; empty when it is
     */
    record AllocatedRegion(MemorySegment segment, String policy, String note) {
    }

    /** Page-aligned, zeroed memory from one {@code Arena.ofShared()}; the node is not enforced. */
    static RegionAllocator shared() {
        return new ArenaRegionAllocator();
    }

    /**
     * Each region mapped on its own and bound to its node ({@code NodeMemory}: bind, falling
     * back to preferred, interleave, plain); pages are placed when the owner first writes them.
     * Nodes this machine does not have get plain memory, so simulated placements still run.
     */
    static RegionAllocator nodeBound() {
        return NodeBoundRegionAllocator.system();
    }
}
