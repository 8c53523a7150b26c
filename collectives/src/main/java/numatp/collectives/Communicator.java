package numatp.collectives;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * One rank's handle on a group of ranks that reduce and exchange data through shared
 * off-heap memory. Like an MPI communicator: every rank calls the same operations in
 * the same order with the same element counts; each call returns once this rank's
 * result is complete. A handle is used by one thread at a time (its rank's leader).
 *
 * <p>Invariants: every rank ends an {@link #allReduce} with bitwise-identical data
 * (the reduction order is fixed, not first-come); counts may be 0, 1, odd, or larger
 * than the shared buffers; a rank that does not arrive within the configured timeout
 * makes the others fail with a {@link CollectiveException} naming it.
 */
public interface Communicator extends AutoCloseable {
    /** This handle's rank, in [0, size). */
    int rank();

    /** Number of ranks in the group. */
    int size();

    /** The NUMA node rank {@code rank} runs on (as placed by the plan). */
    int nodeOfRank(int rank);

    /** In-place sum over all ranks of {@code count} elements at the start of {@code buffer}. */
    void allReduce(MemorySegment buffer, long count, ElementType type);

    /**
     * A zeroed, 64-byte aligned buffer of {@code bytes} for this rank's {@link #allReduce} calls,
     * valid until {@link #close}: where the transport can, peers read it in place instead of a
     * staged copy (the shared-memory transports; a process group only inside its shared file,
     * {@link CommunicatorConfig#bufferBytes} per rank). Any other buffer works too, staged.
     * By default private memory.
     *
     * @throws CollectiveException when a process group's area cannot hold {@code bytes} more
     */
    default MemorySegment allocateBuffer(long bytes) {
        return Arena.ofAuto().allocate(bytes, 64);
    }

    /**
     * Gathers every rank's {@code countPerRank} elements from {@code send} into
     * {@code receive}, rank r's block at element offset {@code r * countPerRank}.
     */
    void allGather(MemorySegment send, MemorySegment receive, long countPerRank, ElementType type);

    /**
     * Sums rank-ordered blocks: {@code send} holds {@code size() * countPerRank} elements; rank
     * r's {@code receive} gets the sum over all ranks of block r ({@code countPerRank} elements).
     */
    void reduceScatter(MemorySegment send, MemorySegment receive, long countPerRank, ElementType type);

    /** Copies {@code count} elements of rank {@code root}'s {@code buffer} into every rank's {@code buffer}. */
    void broadcast(MemorySegment buffer, long count, ElementType type, int root);

    /** A snapshot of this handle's counters. */
    CommunicatorStats stats();

    /**
     * Where every rank's shared region is, rank order: wanted node, policy, and the nodes its
     * pages are on now (a {@code move_pages} query per region, so not for hot paths).
     */
    List<RegionPlacement> regionPlacements();

    /** Blocks until every rank has called it. */
    void barrier();

    /** Fails every rank's current and future calls with {@code reason}; releases waiters. */
    void abort(String reason);

    /** Releases this rank's resources; no-op if already closed. */
    @Override
    void close();
}
