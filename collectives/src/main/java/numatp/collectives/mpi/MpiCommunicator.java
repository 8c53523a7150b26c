package numatp.collectives.mpi;

import numatp.collectives.CollectiveException;
import numatp.collectives.Communicator;
import numatp.collectives.CommunicatorStats;
import numatp.collectives.ElementType;
import numatp.collectives.RegionPlacement;
import numatp.collectives.reduce.Reductions;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * A {@link Communicator} over an MPI communicator of an {@link MpiSession}. Its allreduce
 * keeps numatp's guarantee that every rank ends with bitwise-identical data in a fixed order:
 * the ranks' buffers are allgathered and each rank folds them in rank order,
 * {@code ((b0 + b1) + b2) + ...} ({@link Reductions#sum}), the same expression on every rank
 * and on every run. (MPI_Allreduce makes no promise about its order, which may depend on the
 * message size and the algorithm Open MPI picks; {@link #mpiAllReduce} is kept for
 * comparison.) Costs (size - 1) x the data of a ring allreduce on the wire, which is small for
 * the few hosts a model spans. Every call is bounded by the session's watchdog.
 */
public final class MpiCommunicator implements Communicator {
    private final MpiSession session;
    private final MpiLibrary lib;
    private final MemorySegment comm;
    private final String name;
    private final boolean owned;
    private final int rank;
    private final int size;
    private final Arena arena = Arena.ofShared();
    private MemorySegment gathered; // [size, count] scratch, grown on demand
    private MemorySegment[] sources;
    private MemorySegment request; // one MPI_Request, for broadcastWaiting
    private long[] offsets;
    private long calls;
    private long bytesReduced;
    private long workNs;
    private volatile String aborted;
    private boolean closed;

    MpiCommunicator(MpiSession session, MemorySegment comm, String name, boolean owned) {
        this.session = session;
        this.lib = session.library();
        this.comm = comm;
        this.name = name;
        this.owned = owned;
        this.rank = lib.rank(comm);
        this.size = lib.size(comm);
        this.sources = new MemorySegment[size];
        this.offsets = new long[size];
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int size() {
        return size;
    }

    /** Ranks of this communicator are on other hosts: their NUMA nodes are not this process's to name; 0. */
    @Override
    public int nodeOfRank(int rank) {
        checkRank(rank);
        return 0;
    }

    @Override
    public void allReduce(MemorySegment buffer, long count, ElementType type) {
        check(buffer, count, type, "allReduce");
        long t0 = System.nanoTime();
        long bytes = count * type.sizeBytes();
        MemorySegment all = scratch(bytes * size);
        session.call("MPI_Allgather (allreduce over " + name + ")", () -> {
            lib.allGatherBytes(buffer, all, bytes, comm);
            return null;
        });
        for (int r = 0; r < size; r++) {
            sources[r] = all;
            offsets[r] = r * bytes;
        }
        Reductions.sum(type, sources, offsets, size, type, buffer, 0, count);
        calls++;
        bytesReduced += bytes;
        workNs += System.nanoTime() - t0;
    }

    /** MPI_Allreduce(MPI_IN_PLACE, SUM) on f32: Open MPI's own order (for benchmarks, not for the engine). */
    public void mpiAllReduce(MemorySegment buffer, long count) {
        check(buffer, count, ElementType.F32, "mpiAllReduce");
        long t0 = System.nanoTime();
        session.call("MPI_Allreduce over " + name, () -> {
            lib.allReduceSumF32(buffer, count, comm);
            return null;
        });
        calls++;
        bytesReduced += count * 4;
        workNs += System.nanoTime() - t0;
    }

    @Override
    public void allGather(MemorySegment send, MemorySegment receive, long countPerRank, ElementType type) {
        check(send, countPerRank, type, "allGather");
        check(receive, countPerRank * size, type, "allGather");
        long t0 = System.nanoTime();
        session.call("MPI_Allgather over " + name, () -> {
            lib.allGatherBytes(send, receive, countPerRank * type.sizeBytes(), comm);
            return null;
        });
        calls++;
        workNs += System.nanoTime() - t0;
    }

    @Override
    public void reduceScatter(MemorySegment send, MemorySegment receive, long countPerRank, ElementType type) {
        check(send, countPerRank * size, type, "reduceScatter");
        check(receive, countPerRank, type, "reduceScatter");
        long bytes = countPerRank * type.sizeBytes();
        MemorySegment copy = Arena.ofAuto().allocate(Math.max(1, bytes * size), 64);
        MemorySegment.copy(send, 0, copy, 0, bytes * size);
        allReduce(copy, countPerRank * size, type);
        MemorySegment.copy(copy, rank * bytes, receive, 0, bytes);
    }

    @Override
    public void broadcast(MemorySegment buffer, long count, ElementType type, int root) {
        check(buffer, count, type, "broadcast");
        checkRank(root);
        long t0 = System.nanoTime();
        session.call("MPI_Bcast over " + name, () -> {
            lib.broadcastBytes(buffer, count * type.sizeBytes(), root, comm);
            return null;
        });
        calls++;
        workNs += System.nanoTime() - t0;
    }

    /**
     * A broadcast that waits without spinning a core: MPI_Ibcast, then MPI_Test in a loop that
     * spins for {@code spinNs} and then checks once per {@code pollNs}. {@code bounded}: under the
     * session's watchdog, like every other call (the root, whose peers must all be there); unbounded:
     * for a follower waiting for its next instruction, which may come after an idle hour (a root
     * that dies ends the job through mpirun, not through this call).
     */
    public void broadcastWaiting(MemorySegment buffer, long count, ElementType type, int root, long spinNs,
                                 long pollNs, boolean bounded) {
        check(buffer, count, type, "broadcast");
        checkRank(root);
        long bytes = count * type.sizeBytes();
        if (bytes > Integer.MAX_VALUE) {
            throw new CollectiveException("a waiting broadcast carries at most 2 GiB: " + bytes + " bytes");
        }
        if (request == null) {
            request = arena.allocate(ValueLayout.ADDRESS);
        }
        if (bounded) {
            session.call("MPI_Ibcast over " + name, () -> {
                ibcast(buffer, (int) bytes, root, spinNs, pollNs);
                return null;
            });
        } else {
            ibcast(buffer, (int) bytes, root, spinNs, pollNs);
        }
        calls++;
    }

    private void ibcast(MemorySegment buffer, int bytes, int root, long spinNs, long pollNs) {
        lib.broadcastStart(buffer, bytes, root, comm, request);
        long since = System.nanoTime();
        while (!lib.test(request)) {
            if (System.nanoTime() - since < spinNs) {
                Thread.onSpinWait();
            } else {
                LockSupport.parkNanos(pollNs);
            }
        }
    }

    /** Every rank's {@code value}, by rank (an allgather of one int each). */
    public int[] allGatherInt(int value) {
        return allGatherInts(new int[] {value});
    }

    /**
     * Every rank's {@code values}, rank 0's first: an allgather of {@code values.length} ints each
     * (the same length on every rank).
     */
    public int[] allGatherInts(int[] values) {
        int n = values.length;
        try (Arena call = Arena.ofConfined()) {
            MemorySegment send = call.allocate(Math.max(4, 4L * n));
            MemorySegment.copy(values, 0, send, ValueLayout.JAVA_INT, 0, n);
            MemorySegment all = call.allocate(Math.max(4, 4L * n * size));
            allGather(send, all, n, ElementType.F32);
            int[] gathered = new int[n * size];
            MemorySegment.copy(all, ValueLayout.JAVA_INT, 0, gathered, 0, gathered.length);
            return gathered;
        }
    }

    @Override
    public CommunicatorStats stats() {
        return new CommunicatorStats(calls, bytesReduced, 0, 0, 0, workNs, 0);
    }

    /** No shared regions: the data moves through MPI. */
    @Override
    public List<RegionPlacement> regionPlacements() {
        return List.of();
    }

    @Override
    public void barrier() {
        ensureOpen();
        session.call("MPI_Barrier over " + name, () -> {
            lib.barrier(comm);
            return null;
        });
        calls++;
    }

    /**
     * Fails this rank's later calls with {@code reason}. The other hosts cannot be released from
     * a call they are blocked in; {@link MpiSession#abortJob} ends the whole job.
     */
    @Override
    public void abort(String reason) {
        aborted = reason;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (owned) {
            lib.free(comm);
        }
        arena.close();
    }

    private MemorySegment scratch(long bytes) {
        if (gathered == null || gathered.byteSize() < bytes) {
            gathered = arena.allocate(Math.max(64, bytes), 64);
        }
        return gathered;
    }

    private void check(MemorySegment segment, long count, ElementType type, String op) {
        ensureOpen();
        if (count < 0) {
            throw new CollectiveException(op + " over " + name + ": negative count " + count);
        }
        if (count * type.sizeBytes() > segment.byteSize()) {
            throw new CollectiveException(op + " over " + name + ": " + count + " " + type + " elements do not fit in "
                    + segment.byteSize() + " bytes");
        }
    }

    private void checkRank(int r) {
        if (r < 0 || r >= size) {
            throw new CollectiveException("rank " + r + " outside [0, " + size + ") of " + name);
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new CollectiveException("the MPI communicator over " + name + " is closed");
        }
        String reason = aborted;
        if (reason != null) {
            throw new CollectiveException("the MPI communicator over " + name + " was aborted: " + reason);
        }
    }
}
