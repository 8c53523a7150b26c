package numatp.collectives.mpi;

import java.lang.foreign.MemorySegment;

/**
 * The MPI calls numatp makes, one method each, every failure an {@link MpiException} naming
 * the call and MPI's own error string (communicators are set to return errors, not abort).
 * Communicator handles are opaque {@link MemorySegment}s as the library defines them.
 * {@link FfmMpiLibrary} binds Open MPI's {@code libmpi.so.40}; tests may script one.
 */
public interface MpiLibrary {
    /** MPI_THREAD_SERIALIZED: any thread may call, one at a time (numatp's leaders do). */
    int THREAD_SERIALIZED = 2;

    /** MPI_COMM_WORLD. */
    MemorySegment world();

    /** MPI_Init_thread with {@code required}; the level provided. */
    int initThread(int required);

    /** MPI_Initialized. */
    boolean initialized();

    /** MPI_Finalized. */
    boolean finalized();

    /** MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN). */
    void returnErrors(MemorySegment comm);

    int rank(MemorySegment comm);

    int size(MemorySegment comm);

    /** MPI_Comm_split; {@code color} negative means MPI_UNDEFINED, and then the result is null. */
    MemorySegment split(MemorySegment comm, int color, int key);

    /** MPI_Comm_free. */
    void free(MemorySegment comm);

    /** MPI_Allreduce(MPI_IN_PLACE, buffer, count, MPI_FLOAT, MPI_SUM, comm), in pieces under 2^31 elements. */
    void allReduceSumF32(MemorySegment buffer, long count, MemorySegment comm);

    /** MPI_Allgather of {@code bytesPerRank} bytes per rank (MPI_BYTE). */
    void allGatherBytes(MemorySegment send, MemorySegment receive, long bytesPerRank, MemorySegment comm);

    /** MPI_Bcast of {@code bytes} bytes from {@code root}. */
    void broadcastBytes(MemorySegment buffer, long bytes, int root, MemorySegment comm);

    /**
     * MPI_Ibcast of {@code bytes} (at most 2^31 - 1) bytes from {@code root}: starts it and stores
     * the request handle in {@code request} (one address), which {@link #test} then polls.
     */
    void broadcastStart(MemorySegment buffer, int bytes, int root, MemorySegment comm, MemorySegment request);

    /** MPI_Test on the request stored in {@code request}: true once it has completed (and been freed). */
    boolean test(MemorySegment request);

    void barrier(MemorySegment comm);

    /** MPI_Abort: ends every process of the job with {@code code}. */
    void abort(MemorySegment comm, int code);

    /** MPI_Finalize. */
    void finalizeMpi();

    /** MPI_Get_processor_name. */
    String processorName();

    /** The library's version line (MPI_Get_library_version). */
    String version();
}
