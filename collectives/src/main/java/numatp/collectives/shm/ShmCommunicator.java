package numatp.collectives.shm;

import numatp.collectives.Algorithm;
import numatp.collectives.CollectiveException;
import numatp.collectives.Communicator;
import numatp.collectives.CommunicatorConfig;
import numatp.collectives.CommunicatorStats;
import numatp.collectives.ElementType;
import numatp.collectives.RegionPlacement;
import numatp.collectives.reduce.Reductions;
import numatp.collectives.sync.IdleStrategy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * A rank's handle on a group whose ranks share memory (threads of one process or processes
 * mapping one file): the same code serves both transports. Every operation is cut into
 * chunks of at most one slot and runs as a sequence of epochs (see {@link RankLayout}).
 */
public final class ShmCommunicator implements Communicator {
    final EpochSync sync;
    final int rank;
    final int size;
    final int[] nodeOfRank;
    final MemorySegment[] regions;
    final long slotBytes;
    final CommunicatorConfig config;
    /** Every other rank, ascending. */
    final int[] others;
    /** Scratch for reduction sources; sized for every rank. */
    final MemorySegment[] sources;
    final long[] sourceOffsets;
    /** One block of partial sums for {@link Reductions#sumToAll}: native (see there), freed with this handle by the GC. */
    final MemorySegment scratch = Arena.ofAuto().allocate(Reductions.SCRATCH_BYTES, 64);
    private final RingAllReduce ring;
    private final HierarchicalAllReduce hierarchical;
    private final boolean singleNode;
    /** Thread transport, one node, no more ranks than CPUs: see {@link #DIRECT_ONESHOT_MAX_BYTES}. */
    private final boolean directWithCorePerRank;
    /** Process transport with a buffer area: peers read allreduce buffers inside it in place (see {@link HierarchicalAllReduce}). */
    final boolean processInPlace;
    /** Offset of the buffer area in every region ({@link RankLayout#buffers}). */
    final long bufferBase;
    private final long bufferBytes;
    /** Native address of this rank's buffer area in this process. */
    private final long bufferAddress;
    /** Bytes of this rank's buffer area handed out so far, a multiple of 64. */
    private long bufferUsed;
    private final Runnable onClose;

    long calls;
    long bytesReduced;
    long localBytes;
    long interNodeBytes;
    long busyNs;
    private boolean closed;

    ShmCommunicator(SharedGroup group, int rank, CommunicatorConfig config, Runnable onClose) {
        this.rank = rank;
        this.size = group.size();
        this.nodeOfRank = group.nodeOfRank;
        this.regions = group.regions;
        this.slotBytes = group.slotBytes;
        this.config = config;
        this.onClose = onClose;
        IdleStrategy idle = config.idle() != null ? config.idle().copy()
                : IdleStrategy.forRanks(size, Runtime.getRuntime().availableProcessors());
        this.sync = new EpochSync(group, rank, config.timeoutNs(), idle);
        this.others = new int[size - 1];
        for (int r = 0, i = 0; r < size; r++) {
            if (r != rank) {
                others[i++] = r;
            }
        }
        this.sources = new MemorySegment[size];
        this.sourceOffsets = new long[size];
        this.ring = new RingAllReduce(this);
        this.hierarchical = new HierarchicalAllReduce(this);
        boolean single = true;
        for (int node : nodeOfRank) {
            single &= node == nodeOfRank[0];
        }
        this.singleNode = single;
        // Equal on every rank: threads of one process, the same CPU count at creation.
        this.directWithCorePerRank = group.directInputs != null && single
                && size <= Runtime.getRuntime().availableProcessors();
        this.bufferBase = RankLayout.buffers(slotBytes);
        this.bufferBytes = config.bufferBytes();
        this.bufferAddress = regions[rank].address() + bufferBase;
        // Equal on every rank: the joiners checked the region size, which includes the area.
        this.processInPlace = group.directInputs == null && bufferBytes > 0;
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public int nodeOfRank(int r) {
        return nodeOfRank[r];
    }

    /**
     * {@code AUTO} picks {@code oneshot} only up to this many bytes times ranks when the group can
     * run hierarchical's direct in-place path with a CPU per rank: there an epoch costs well under a
     * microsecond, and on the 2-core dev machine (2 ranks) direct beat oneshot from 4 KiB up
     * (0.64 vs 1.54 us at 4 KiB, 1.6 vs 13 us at 64 KiB) and tied at 1 KiB.
     */
    static final long DIRECT_ONESHOT_MAX_BYTES = 2048;

    /** The algorithm {@code AUTO} (or the configured one) uses for a message of {@code bytes}. */
    public Algorithm resolve(long bytes) {
        Algorithm a = config.algorithm();
        if (a != Algorithm.AUTO) {
            return a;
        }
        // Oneshot makes every rank read every peer's message: worth its single epoch while that stays small.
        long oneshotMax = directWithCorePerRank ? Math.min(DIRECT_ONESHOT_MAX_BYTES, config.oneshotMaxBytes())
                : config.oneshotMaxBytes();
        return bytes * size <= oneshotMax || size == 1 ? Algorithm.ONESHOT : Algorithm.HIERARCHICAL;
    }

    @Override
    public void allReduce(MemorySegment buffer, long count, ElementType type) {
        allReduce(buffer, count, type, Algorithm.AUTO);
    }

    /** {@link #allReduce(MemorySegment, long, ElementType)} with this call's algorithm ({@code AUTO}: the configured one). */
    public void allReduce(MemorySegment buffer, long count, ElementType type, Algorithm requested) {
        check(buffer, count, type, "buffer");
        long start = System.nanoTime();
        long waited = sync.waitNs;
        Algorithm algorithm = requested == Algorithm.AUTO ? resolve(count * type.sizeBytes()) : requested;
        sync.begin(EpochSync.OP_ALLREDUCE, type.ordinal(), count, -1, algorithm.ordinal());
        switch (algorithm) {
            case RING -> ring.run(buffer, count, type);
            case HIERARCHICAL -> hierarchical.run(buffer, count, type);
            default -> oneshot(buffer, count, type);
        }
        bytesReduced += count * type.sizeBytes();
        finish(start, waited);
    }

    private void oneshot(MemorySegment buffer, long count, ElementType type) {
        final int es = type.sizeBytes();
        final long chunk = slotBytes / es;
        long done = 0;
        do {
            long n = Math.min(chunk, count - done);
            long slot = sync.nextSlot();
            MemorySegment.copy(buffer, done * es, regions[rank], slot, n * es);
            sync.publish();
            sync.await(others);
            for (int r = 0; r < size; r++) {
                sources[r] = regions[r];
                sourceOffsets[r] = slot;
                countRead(r, n * es);
            }
            Reductions.sum(type, sources, sourceOffsets, size, type, buffer, done * es, n);
            done += n;
        } while (done < count);
    }

    /**
     * A slice of this rank's buffer area (see {@link RankLayout}), which peers read in place; past
     * the area, threads get private memory (they read any shareable buffer in place) and processes
     * an error, as a peer process cannot read it.
     */
    @Override
    public MemorySegment allocateBuffer(long bytes) {
        if (closed) {
            throw new CollectiveException("allocateBuffer: communicator rank " + rank + " is closed");
        }
        if (bytes < 0) {
            throw new CollectiveException("allocateBuffer: bytes must be >= 0: " + bytes);
        }
        long aligned = (bytes + 63) & -64L;
        if (aligned > bufferBytes - bufferUsed) {
            if (sync.group.directInputs != null) {
                return Arena.ofAuto().allocate(bytes, 64);
            }
            throw new CollectiveException("allocateBuffer: rank " + rank + "'s shared buffer area of " + bufferBytes
                    + " bytes has " + (bufferBytes - bufferUsed) + " left, asked for " + bytes
                    + " (CommunicatorConfig.bufferBytes)");
        }
        MemorySegment buffer = regions[rank].asSlice(bufferBase + bufferUsed, bytes);
        bufferUsed += aligned;
        return buffer;
    }

    /** Where {@code bytes} at {@code buffer} start in this rank's handed-out buffer area, or -1 if not all inside it. */
    long inPlaceOffset(MemorySegment buffer, long bytes) {
        long offset = buffer.address() - bufferAddress;
        return buffer.isNative() && offset >= 0 && offset <= bufferUsed - bytes ? offset : -1;
    }

    @Override
    public void allGather(MemorySegment send, MemorySegment receive, long countPerRank, ElementType type) {
        check(send, countPerRank, type, "send");
        check(receive, countPerRank * size, type, "receive");
        long start = System.nanoTime();
        long waited = sync.waitNs;
        sync.begin(EpochSync.OP_ALLGATHER, type.ordinal(), countPerRank, -1, -1);
        final int es = type.sizeBytes();
        final long chunk = slotBytes / es;
        long done = 0;
        do {
            long n = Math.min(chunk, countPerRank - done);
            long slot = sync.nextSlot();
            MemorySegment.copy(send, done * es, regions[rank], slot, n * es);
            sync.publish();
            sync.await(others);
            for (int r = 0; r < size; r++) {
                MemorySegment.copy(regions[r], slot, receive, (r * countPerRank + done) * es, n * es);
                countRead(r, n * es);
            }
            done += n;
        } while (done < countPerRank);
        finish(start, waited);
    }

    @Override
    public void reduceScatter(MemorySegment send, MemorySegment receive, long countPerRank, ElementType type) {
        check(send, countPerRank * size, type, "send");
        check(receive, countPerRank, type, "receive");
        long start = System.nanoTime();
        long waited = sync.waitNs;
        sync.begin(EpochSync.OP_REDUCESCATTER, type.ordinal(), countPerRank, -1, -1);
        final int es = type.sizeBytes();
        final long chunk = slotBytes / ((long) es * size);
        long done = 0;
        do {
            long n = Math.min(chunk, countPerRank - done);
            long slot = sync.nextSlot();
            for (int b = 0; b < size; b++) {
                MemorySegment.copy(send, (b * countPerRank + done) * es, regions[rank], slot + b * n * es, n * es);
            }
            sync.publish();
            sync.await(others);
            for (int r = 0; r < size; r++) {
                sources[r] = regions[r];
                sourceOffsets[r] = slot + rank * n * es;
                countRead(r, n * es);
            }
            Reductions.sum(type, sources, sourceOffsets, size, type, receive, done * es, n);
            done += n;
        } while (done < countPerRank);
        bytesReduced += countPerRank * size * es;
        finish(start, waited);
    }

    @Override
    public void broadcast(MemorySegment buffer, long count, ElementType type, int root) {
        check(buffer, count, type, "buffer");
        if (root < 0 || root >= size) {
            throw new CollectiveException("broadcast: root must be in [0, " + size + "): " + root);
        }
        long start = System.nanoTime();
        long waited = sync.waitNs;
        sync.begin(EpochSync.OP_BROADCAST, type.ordinal(), count, root, -1);
        final int es = type.sizeBytes();
        final long chunk = slotBytes / es;
        long done = 0;
        do {
            long n = Math.min(chunk, count - done);
            long slot = sync.nextSlot();
            if (rank == root) {
                MemorySegment.copy(buffer, done * es, regions[rank], slot, n * es);
            }
            sync.publish();
            sync.await(others);
            if (rank != root) {
                MemorySegment.copy(regions[root], slot, buffer, done * es, n * es);
                countRead(root, n * es);
            }
            done += n;
        } while (done < count);
        finish(start, waited);
    }

    @Override
    public void barrier() {
        if (closed) {
            throw new CollectiveException("barrier: communicator rank " + rank + " is closed");
        }
        long start = System.nanoTime();
        long waited = sync.waitNs;
        sync.begin(EpochSync.OP_BARRIER, -1, 0, -1, -1);
        sync.publish();
        sync.await(others);
        finish(start, waited);
    }

    @Override
    public CommunicatorStats stats() {
        return new CommunicatorStats(calls, bytesReduced, localBytes, interNodeBytes, sync.waitNs, busyNs,
                sync.sameCpuWaits);
    }

    @Override
    public List<RegionPlacement> regionPlacements() {
        return sync.group.placements();
    }

    @Override
    public void abort(String reason) {
        sync.group.abort(rank, reason);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            onClose.run();
        }
    }

    void countRead(int source, long bytes) {
        if (singleNode || nodeOfRank[source] == nodeOfRank[rank]) {
            localBytes += bytes;
        } else {
            interNodeBytes += bytes;
        }
    }

    private void finish(long startNs, long waitBeforeNs) {
        sync.end();
        calls++;
        busyNs += System.nanoTime() - startNs - (sync.waitNs - waitBeforeNs);
    }

    private void check(MemorySegment segment, long count, ElementType type, String name) {
        if (closed) {
            throw new CollectiveException("communicator rank " + rank + " is closed");
        }
        if (type == null || segment == null) {
            throw new CollectiveException("segment and element type must be given");
        }
        if (count < 0 || count > segment.byteSize() / type.sizeBytes()) {
            throw new CollectiveException(name + " of " + segment.byteSize() + " bytes cannot hold " + count
                    + " elements of " + type);
        }
    }

    @Override
    public String toString() {
        return "ShmCommunicator[rank " + rank + " of " + size + ", " + sync.group + "]";
    }
}
