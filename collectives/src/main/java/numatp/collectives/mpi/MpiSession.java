package numatp.collectives.mpi;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * This process's MPI job: MPI initialised (MPI_THREAD_SERIALIZED), errors returned rather
 * than aborting, and the layout of ranks over hosts. Hosts are identified by
 * {@link #HOST_ENV} when set, else by MPI_Get_processor_name; host ids are given in order of
 * each host's lowest world rank, so every rank derives the same layout. Communicators: one
 * per host (its ranks, by world rank) and one of the hosts' leaders (the lowest world rank of
 * each host). Every blocking call is bounded by the {@link MpiWatchdog}.
 *
 * @see MpiCommunicator
 */
public final class MpiSession implements AutoCloseable {
    /**
     * Overrides the host identity: a name (ranks with equal names are one host); {@code rank} to
     * make every rank its own host, or {@code rank/N} to make each N consecutive ranks one host
     * (testing the cross-host tier on one machine).
     */
    public static final String HOST_ENV = "NUMATP_MPI_HOST";
    private static final int NAME_BYTES = 256;

    private final MpiLibrary lib;
    private final MpiWatchdog watchdog;
    private final boolean initialisedHere;
    private final int worldRank;
    private final int worldSize;
    private final List<String> hostNames; // by host id
    private final int[] hostOfRank; // by world rank
    private final MemorySegment hostComm;
    private final MemorySegment leaderComm; // null unless this rank leads its host
    private boolean closed;

    private MpiSession(MpiLibrary lib, MpiWatchdog watchdog, String hostOverride) {
        this.lib = lib;
        this.watchdog = watchdog;
        boolean already = lib.initialized();
        if (!already) {
            int provided = lib.initThread(MpiLibrary.THREAD_SERIALIZED);
            if (provided < MpiLibrary.THREAD_SERIALIZED) {
                throw new MpiException("MPI_Init_thread provided thread level " + provided + ", numatp needs "
                        + MpiLibrary.THREAD_SERIALIZED + " (MPI_THREAD_SERIALIZED)");
            }
        }
        this.initialisedHere = !already;
        MemorySegment world = lib.world();
        lib.returnErrors(world);
        worldRank = lib.rank(world);
        worldSize = lib.size(world);
        String own = hostName(hostOverride, worldRank, lib);
        String[] names = gatherNames(own);
        hostNames = new ArrayList<>();
        hostOfRank = new int[worldSize];
        for (int r = 0; r < worldSize; r++) {
            int id = hostNames.indexOf(names[r]);
            if (id < 0) {
                id = hostNames.size();
                hostNames.add(names[r]);
            }
            hostOfRank[r] = id;
        }
        hostComm = call("MPI_Comm_split (hosts)", () -> lib.split(world, hostOfRank[worldRank], worldRank));
        lib.returnErrors(hostComm);
        boolean leader = leaderOf(hostOfRank[worldRank]) == worldRank;
        leaderComm = call("MPI_Comm_split (leaders)", () -> lib.split(world, leader ? 0 : -1, worldRank));
        if (leaderComm != null) {
            lib.returnErrors(leaderComm);
        }
    }

    private static String hostName(String override, int worldRank, MpiLibrary lib) {
        if (override == null || override.isBlank()) {
            return lib.processorName();
        }
        if (override.equals("rank")) {
            return "rank-" + worldRank;
        }
        if (override.startsWith("rank/")) {
            int per;
            try {
                per = Integer.parseInt(override.substring(5));
            } catch (NumberFormatException e) {
                per = 0;
            }
            if (per < 1) {
                throw new MpiException(HOST_ENV + " must be a host name, rank or rank/N with N >= 1: " + override);
            }
            return "ranks-" + worldRank / per;
        }
        return override;
    }

    /**
     * Joins the MPI job this process was started in (by mpirun), with blocking calls bounded by
     * {@code collectiveTimeoutMs}; the host identity from {@link #HOST_ENV}.
     */
    public static MpiSession start(MpiLibrary lib, long collectiveTimeoutMs) {
        return new MpiSession(lib, MpiWatchdog.halting(collectiveTimeoutMs), System.getenv(HOST_ENV));
    }

    /** As {@link #start(MpiLibrary, long)} with a given watchdog and host override (tests). */
    public static MpiSession start(MpiLibrary lib, MpiWatchdog watchdog, String hostOverride) {
        return new MpiSession(lib, watchdog, hostOverride);
    }

    private String[] gatherNames(String own) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment send = arena.allocate(NAME_BYTES);
            byte[] bytes = own.getBytes(StandardCharsets.UTF_8);
            MemorySegment.copy(bytes, 0, send, java.lang.foreign.ValueLayout.JAVA_BYTE, 0,
                    Math.min(bytes.length, NAME_BYTES - 1));
            MemorySegment receive = arena.allocate((long) NAME_BYTES * worldSize);
            call("MPI_Allgather (host names)", () -> {
                lib.allGatherBytes(send, receive, NAME_BYTES, lib.world());
                return null;
            });
            String[] names = new String[worldSize];
            for (int r = 0; r < worldSize; r++) {
                names[r] = receive.getString((long) r * NAME_BYTES);
            }
            return names;
        }
    }

    /** Runs one blocking MPI call under the watchdog. */
    <T> T call(String name, java.util.function.Supplier<T> body) {
        watchdog.enter(name);
        try {
            return body.get();
        } finally {
            watchdog.exit();
        }
    }

    public MpiLibrary library() {
        return lib;
    }

    public int worldRank() {
        return worldRank;
    }

    public int worldSize() {
        return worldSize;
    }

    public int hosts() {
        return hostNames.size();
    }

    /** The host id of world rank {@code rank}. */
    public int hostOfRank(int rank) {
        return hostOfRank[rank];
    }

    public String hostName(int host) {
        return hostNames.get(host);
    }

    /** The lowest world rank of {@code host}: its leader. */
    public int leaderOf(int host) {
        for (int r = 0; r < worldSize; r++) {
            if (hostOfRank[r] == host) {
                return r;
            }
        }
        throw new MpiException("no rank on host " + host);
    }

    public boolean isLeader() {
        return leaderComm != null;
    }

    /** The ranks of this rank's host, by world rank. */
    public MpiCommunicator hostCommunicator() {
        return new MpiCommunicator(this, hostComm, "host " + hostNames.get(hostOfRank[worldRank]), false);
    }

    /** The hosts' leaders, by host id; only on a leader. */
    public MpiCommunicator leaderCommunicator() {
        if (leaderComm == null) {
            throw new MpiException("world rank " + worldRank + " does not lead its host; only leaders talk across hosts");
        }
        return new MpiCommunicator(this, leaderComm, "host leaders", false);
    }

    /** Every rank of the job. */
    public MpiCommunicator worldCommunicator() {
        return new MpiCommunicator(this, lib.world(), "world", false);
    }

    /** Ends every process of the job (MPI_Abort) after printing {@code reason}. */
    public void abortJob(String reason, int code) {
        System.err.println("error: " + reason);
        System.err.flush();
        lib.abort(lib.world(), code);
    }

    /** One line: {@code world rank 1 of 2; host rank-1 (host 1 of 2); Open MPI v4.1.4}. */
    public String describe() {
        return "world rank " + worldRank + " of " + worldSize + "; host " + hostNames.get(hostOfRank[worldRank])
                + " (host " + hostOfRank[worldRank] + " of " + hostNames.size() + "); " + lib.version();
    }

    /** Frees the communicators and finalises MPI if this session initialised it. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (leaderComm != null) {
                lib.free(leaderComm);
            }
            lib.free(hostComm);
            if (initialisedHere && !lib.finalized()) {
                call("MPI_Finalize", () -> {
                    lib.finalizeMpi();
                    return null;
                });
            }
        } finally {
            watchdog.close();
        }
    }
}
