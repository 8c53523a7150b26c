package numatp.collectives.mpi;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * {@link MpiLibrary} over Open MPI's C library through the FFM API: no JNI, no mpi.jar
 * (Debian's Open MPI ships none). Loads {@code libmpi.so.40}, the soname Open MPI 4.x and
 * 5.x keep, with RTLD_GLOBAL (its components expect its symbols to be global). Open MPI
 * exports its predefined handles as symbols: MPI_COMM_WORLD is the address of
 * {@code ompi_mpi_comm_world}, MPI_FLOAT of {@code ompi_mpi_float}, and so on; MPI_IN_PLACE
 * is (void *) 1. Before MPI_Init it sets {@code OMPI_MCA_opal_signal} to empty unless the
 * user set it: Open MPI would otherwise replace the JVM's SIGSEGV/SIGBUS handlers, which the
 * JVM needs for its own null checks.
 */
public final class FfmMpiLibrary implements MpiLibrary {
    /** The soname loaded unless {@link #LIBRARY_ENV} names another file. */
    public static final String SONAME = "libmpi.so.40";
    /** Environment variable naming another MPI library file (same ABI: Open MPI 4 or 5). */
    public static final String LIBRARY_ENV = "NUMATP_MPI_LIBRARY";
    private static final int RTLD_NOW_GLOBAL = 0x2 | 0x100;
    private static final int MAX_STRING = 256; // MPI_MAX_ERROR_STRING, MPI_MAX_PROCESSOR_NAME
    private static final int MAX_VERSION = 256; // MPI_MAX_LIBRARY_VERSION_STRING
    private static final int UNDEFINED = -32766; // Open MPI's MPI_UNDEFINED
    private static final long MAX_COUNT = Integer.MAX_VALUE;

    private final Arena arena = Arena.global();
    private final MemorySegment world;
    private final MemorySegment floatType;
    private final MemorySegment byteType;
    private final MemorySegment sumOp;
    private final MemorySegment errorsReturn;
    private final MemorySegment nullComm;
    private final MethodHandle initThread;
    private final MethodHandle initialized;
    private final MethodHandle finalized;
    private final MethodHandle setErrhandler;
    private final MethodHandle commRank;
    private final MethodHandle commSize;
    private final MethodHandle commSplit;
    private final MethodHandle commFree;
    private final MethodHandle allreduce;
    private final MethodHandle allgather;
    private final MethodHandle bcast;
    private final MethodHandle ibcast;
    private final MethodHandle test;
    private final MethodHandle barrier;
    private final MethodHandle abort;
    private final MethodHandle finalizeMpi;
    private final MethodHandle errorString;
    private final MethodHandle processorName;
    private final MethodHandle libraryVersion;

    private FfmMpiLibrary(SymbolLookup mpi, Linker linker) {
        world = symbol(mpi, "ompi_mpi_comm_world");
        floatType = symbol(mpi, "ompi_mpi_float");
        byteType = symbol(mpi, "ompi_mpi_byte");
        sumOp = symbol(mpi, "ompi_mpi_op_sum");
        errorsReturn = symbol(mpi, "ompi_mpi_errors_return");
        nullComm = symbol(mpi, "ompi_mpi_comm_null");
        initThread = handle(mpi, linker, "MPI_Init_thread", JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS);
        initialized = handle(mpi, linker, "MPI_Initialized", JAVA_INT, ADDRESS);
        finalized = handle(mpi, linker, "MPI_Finalized", JAVA_INT, ADDRESS);
        setErrhandler = handle(mpi, linker, "MPI_Comm_set_errhandler", JAVA_INT, ADDRESS, ADDRESS);
        commRank = handle(mpi, linker, "MPI_Comm_rank", JAVA_INT, ADDRESS, ADDRESS);
        commSize = handle(mpi, linker, "MPI_Comm_size", JAVA_INT, ADDRESS, ADDRESS);
        commSplit = handle(mpi, linker, "MPI_Comm_split", JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS);
        commFree = handle(mpi, linker, "MPI_Comm_free", JAVA_INT, ADDRESS);
        allreduce = handle(mpi, linker, "MPI_Allreduce", JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS,
                ADDRESS);
        allgather = handle(mpi, linker, "MPI_Allgather", JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT,
                ADDRESS, ADDRESS);
        bcast = handle(mpi, linker, "MPI_Bcast", JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS);
        ibcast = handle(mpi, linker, "MPI_Ibcast", JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS);
        test = handle(mpi, linker, "MPI_Test", JAVA_INT, ADDRESS, ADDRESS, ADDRESS);
        barrier = handle(mpi, linker, "MPI_Barrier", JAVA_INT, ADDRESS);
        abort = handle(mpi, linker, "MPI_Abort", JAVA_INT, ADDRESS, JAVA_INT);
        finalizeMpi = handle(mpi, linker, "MPI_Finalize", JAVA_INT);
        errorString = handle(mpi, linker, "MPI_Error_string", JAVA_INT, JAVA_INT, ADDRESS, ADDRESS);
        processorName = handle(mpi, linker, "MPI_Get_processor_name", JAVA_INT, ADDRESS, ADDRESS);
        libraryVersion = handle(mpi, linker, "MPI_Get_library_version", JAVA_INT, ADDRESS, ADDRESS);
    }

    /**
     * Loads the library ({@link #LIBRARY_ENV} or {@link #SONAME}); an {@link MpiException}
     * saying what to install when it is missing or lacks Open MPI's symbols.
     */
    public static FfmMpiLibrary load() {
        String name = System.getenv(LIBRARY_ENV);
        String file = name == null || name.isBlank() ? SONAME : name;
        Linker linker;
        try {
            linker = Linker.nativeLinker();
            MethodHandle dlopen = linker.downcallHandle(linker.defaultLookup().find("dlopen").orElseThrow(),
                    FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT));
            MemorySegment handle;
            try (Arena call = Arena.ofConfined()) {
                handle = (MemorySegment) dlopen.invokeExact(call.allocateFrom(file), RTLD_NOW_GLOBAL);
            }
            if (handle.address() == 0) {
                throw new MpiException("cannot load the MPI library " + file + ": not found or not loadable"
                        + " (install Open MPI: apt-get install openmpi-bin libopenmpi-dev; or set " + LIBRARY_ENV
                        + " to its libmpi.so)");
            }
            return new FfmMpiLibrary(SymbolLookup.libraryLookup(file, Arena.global()), linker);
        } catch (MpiException e) {
            throw e;
        } catch (IllegalCallerException e) {
            throw new MpiException("native access is not enabled for numatp (run java with"
                    + " --enable-native-access=ALL-UNNAMED, as ./tp does): " + e.getMessage(), e);
        } catch (Throwable e) {
            throw new MpiException("cannot load the MPI library " + file + ": " + e, e);
        }
    }

    private static MemorySegment symbol(SymbolLookup mpi, String name) {
        return mpi.find(name).orElseThrow(() -> new MpiException("the MPI library has no symbol " + name
                + ": numatp needs Open MPI 4.x or 5.x (libmpi.so.40), not MPICH or Intel MPI"));
    }

    private static MethodHandle handle(SymbolLookup mpi, Linker linker, String name,
                                       java.lang.foreign.MemoryLayout result, java.lang.foreign.MemoryLayout... args) {
        return linker.downcallHandle(symbol(mpi, name), FunctionDescriptor.of(result, args));
    }

    @Override
    public MemorySegment world() {
        return world;
    }

    @Override
    public int initThread(int required) {
        setEnvUnlessSet("OMPI_MCA_opal_signal", "");
        try (Arena call = Arena.ofConfined()) {
            MemorySegment provided = call.allocate(JAVA_INT);
            check("MPI_Init_thread", (int) initThread.invokeExact(MemorySegment.NULL, MemorySegment.NULL, required,
                    provided));
            return provided.get(JAVA_INT, 0);
        } catch (MpiException e) {
            throw e;
        } catch (Throwable e) {
            throw failed("MPI_Init_thread", e);
        }
    }

    @Override
    public boolean initialized() {
        return flag(initialized, "MPI_Initialized");
    }

    @Override
    public boolean finalized() {
        return flag(finalized, "MPI_Finalized");
    }

    private boolean flag(MethodHandle h, String name) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment flag = call.allocate(JAVA_INT);
            check(name, (int) h.invokeExact(flag));
            return flag.get(JAVA_INT, 0) != 0;
        } catch (MpiException e) {
            throw e;
        } catch (Throwable e) {
            throw failed(name, e);
        }
    }

    @Override
    public void returnErrors(MemorySegment comm) {
        try {
            check("MPI_Comm_set_errhandler", (int) setErrhandler.invokeExact(comm, errorsReturn));
        } catch (MpiException e) {
            throw e;
        } catch (Throwable e) {
            throw failed("MPI_Comm_set_errhandler", e);
        }
    }

    @Override
    public int rank(MemorySegment comm) {
        return intOut(commRank, "MPI_Comm_rank", comm);
    }

    @Override
    public int size(MemorySegment comm) {
        return intOut(commSize, "MPI_Comm_size", comm);
    }

    private int intOut(MethodHandle h, String name, MemorySegment comm) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment out = call.allocate(JAVA_INT);
            check(name, (int) h.invokeExact(comm, out));
            return out.get(JAVA_INT, 0);
        } catch (MpiException e) {
            throw e;
        } catch (Throwable e) {
            throw failed(name, e);
        }
    }

    @Override
    public MemorySegment split(MemorySegment comm, int color, int key) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment out = call.allocate(ADDRESS);
            check("MPI_Comm_split", (int) commSplit.invokeExact(comm, color < 0 ? UNDEFINED : color, key, out));
            MemorySegment handle = out.get(ADDRESS, 0);
            return handle.address() == nullComm.address() ? null : handle;
        } catch (MpiException e) {
            throw e;
        } catch (Throwable e) {
            throw failed("MPI_Comm_split", e);
        }
    }

    @Override
    public void free(MemorySegment comm) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment holder = call.allocate(ADDRESS);
            holder.set(ADDRESS, 0, comm);
            check("MPI_Comm_free", (int) commFree.invokeExact(holder));
        } catch (MpiException e) {
            throw e;
        } catch (Throwable e) {
            throw failed("MPI_Comm_free", e);
        }
    }

    @Override
    public void allReduceSumF32(MemorySegment buffer, long count, MemorySegment comm) {
        MemorySegment inPlace = MemorySegment.ofAddress(1);
        try {
            for (long done = 0; done < count; done += MAX_COUNT) {
                int n = (int) Math.min(MAX_COUNT, count - done);
                check("MPI_Allreduce", (int) allreduce.invokeExact(inPlace, buffer.asSlice(done * 4), n, floatType,
                        sumOp, comm));
            }
        } catch (MpiException e) {
            throw e;
        } catch (Throwable e) {
            throw failed("MPI_Allreduce", e);
        }
    }

    @Override
    public void allGatherBytes(MemorySegment send, MemorySegment receive, long bytesPerRank, MemorySegment comm) {
        if (bytesPerRank > MAX_COUNT) {
            throw new MpiException("MPI_Allgather of " + bytesPerRank + " bytes per rank: at most " + MAX_COUNT);
        }
        try {
            check("MPI_Allgather", (int) allgather.invokeExact(send, (int) bytesPerRank, byteType, receive,
                    (int) bytesPerRank, byteType, comm));
        } catch (MpiException e) {
            throw e;
        } catch (Throwable e) {
            throw failed("MPI_Allgather", e);
        }
    }

    @Override
    public void broadcastBytes(MemorySegment buffer, long bytes, int root, MemorySegment comm) {
        try {
            for (long done = 0; done < bytes; done += MAX_COUNT) {
                int n = (int) Math.min(MAX_COUNT, bytes - done);
                check("MPI_Bcast", (int) bcast.invokeExact(buffer.asSlice(done), n, byteType, root, comm));
            }
        } catch (MpiException e) {
            throw e;
        } catch (Throwable e) {
            throw failed("MPI_Bcast", e);
        }
    }

    @Override
    public void broadcastStart(MemorySegment buffer, int bytes, int root, MemorySegment comm, MemorySegment request) {
        try {
            check("MPI_Ibcast", (int) ibcast.invokeExact(buffer, bytes, byteType, root, comm, request));
        } catch (MpiException e) {
            throw e;
        } catch (Throwable e) {
            throw failed("MPI_Ibcast", e);
        }
    }

    @Override
    public boolean test(MemorySegment request) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment flag = call.allocate(JAVA_INT);
            // MPI_STATUS_IGNORE is a null pointer in Open MPI.
            check("MPI_Test", (int) test.invokeExact(request, flag, MemorySegment.NULL));
            return flag.get(JAVA_INT, 0) != 0;
        } catch (MpiException e) {
            throw e;
        } catch (Throwable e) {
            throw failed("MPI_Test", e);
        }
    }

    @Override
    public void barrier(MemorySegment comm) {
        try {
            check("MPI_Barrier", (int) barrier.invokeExact(comm));
        } catch (MpiException e) {
            throw e;
        } catch (Throwable e) {
            throw failed("MPI_Barrier", e);
        }
    }

    @Override
    public void abort(MemorySegment comm, int code) {
        try {
            int ignored = (int) abort.invokeExact(comm, code);
        } catch (Throwable e) {
            throw failed("MPI_Abort", e);
        }
    }

    @Override
    public void finalizeMpi() {
        try {
            check("MPI_Finalize", (int) finalizeMpi.invokeExact());
        } catch (MpiException e) {
            throw e;
        } catch (Throwable e) {
            throw failed("MPI_Finalize", e);
        }
    }

    @Override
    public String processorName() {
        return stringOut(processorName, "MPI_Get_processor_name", MAX_STRING);
    }

    @Override
    public String version() {
        String v = stringOut(libraryVersion, "MPI_Get_library_version", MAX_VERSION);
        int comma = v.indexOf(',');
        return (comma > 0 ? v.substring(0, comma) : v).trim();
    }

    private String stringOut(MethodHandle h, String name, int capacity) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment text = call.allocate(capacity);
            MemorySegment length = call.allocate(JAVA_INT);
            check(name, (int) h.invokeExact(text, length));
            return text.getString(0);
        } catch (MpiException e) {
            throw e;
        } catch (Throwable e) {
            throw failed(name, e);
        }
    }

    private void check(String call, int code) {
        if (code != 0) {
            throw new MpiException(call + " failed: " + errorText(code) + " (MPI error " + code + ")");
        }
    }

    private String errorText(int code) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment text = call.allocate(MAX_STRING);
            MemorySegment length = call.allocate(JAVA_INT);
            int rc = (int) errorString.invokeExact(code, text, length);
            return rc == 0 ? text.getString(0) : "unknown error";
        } catch (Throwable e) {
            return "unknown error";
        }
    }

    private static MpiException failed(String call, Throwable e) {
        return new MpiException(call + " could not be called: " + e, e);
    }

    /** libc setenv(name, value, 0): the C environment Open MPI reads, not Java's copy of it. */
    private static void setEnvUnlessSet(String name, String value) {
        try (Arena call = Arena.ofConfined()) {
            Linker linker = Linker.nativeLinker();
            MethodHandle setenv = linker.downcallHandle(linker.defaultLookup().find("setenv").orElseThrow(),
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
            int ignored = (int) setenv.invokeExact(call.allocateFrom(name), call.allocateFrom(value), 0);
        } catch (Throwable e) {
            // Without setenv Open MPI keeps its default signal handlers; nothing else depends on it.
        }
    }
}
