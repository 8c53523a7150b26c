package numatp.collectives.shm;

import numatp.collectives.CollectiveException;
import numatp.collectives.Communicator;
import numatp.collectives.CommunicatorConfig;
import numatp.collectives.process.ProcessLiveness;
import numatp.collectives.sync.SequenceFlags;
import numatp.topology.linux.KernelFiles;
import numatp.topology.memory.NodeMemory;
import numatp.topology.memory.NodeMemoryException;
import numatp.topology.memory.Placement;
import numatp.topology.memory.PlacementPolicy;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.locks.LockSupport;

/**
 * Groups of ranks that are separate processes on one machine, sharing one file under
 * {@code /dev/shm} (header, then every rank's region). Rank 0 creates the file: it writes a
 * complete file under a temporary name and renames it into place, so joiners never see a
 * half-written header. A file left by a dead run (its creator process is gone, or its header
 * is unreadable) is replaced with the next generation; a file whose creator is alive is never
 * touched. Joiners check magic, version, rank count, sizes and the node table. An aborted group
 * stays aborted; join a new name to continue.
 *
 * <p>No file outlives its group: once every rank has mapped it (all joined), rank 0 unlinks it and
 * the mappings keep the memory; a join that fails removes it (rank 0, or a joiner that finds the
 * creator dead); and rank 0 first removes files of other groups whose owner is dead
 * ({@link StaleSegments}), left by processes killed while joining. While waiting in the join each
 * rank checks every {@link #LIVENESS_CHECK_NS} that the ranks that published their pid still run,
 * so a rank that dies there fails the others at once instead of at the timeout.
 *
 * <p>Before anything touches the new file, rank 0 binds each rank's region (and the header) to
 * the rank's node with {@code mbind} ({@link NodeMemory#bindRange}: bind, falling back to
 * preferred, interleave, plain). A tmpfs file keeps that policy for every process mapping it, so
 * each page lands on its owner's node when the owner first writes it.
 */
public final class ProcessTransport {
    public static final Path DEFAULT_DIR = Path.of("/dev/shm");
    private static final String PREFIX = "numatp-";
    /** How often a rank waiting in the join checks that its peers still run. */
    static final long LIVENESS_CHECK_NS = 50_000_000L;

    private ProcessTransport() {
    }

    /** A name no other communicator uses (pass it to every rank). */
    public static String uniqueName() {
        return "g" + ProcessHandle.current().pid() + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /**
     * Removes group {@code name}'s file from {@code dir} if its owner no longer runs (see
     * {@link StaleSegments}); true if removed. For a launcher once its workers are gone: a rank
     * killed while creating or joining leaves the file, which nobody else would remove until the
     * next start in that directory.
     */
    public static boolean removeIfAbandoned(Path dir, String name) {
        return StaleSegments.removeIfStale(path(dir, name));
    }

    /**
     * Removes every {@code numatp-*} file in {@code dir} whose owner no longer runs (see
     * {@link StaleSegments}): what engines and groups of processes killed with {@code kill -9}
     * left. Returns the files removed. A file whose owner runs is never touched.
     */
    public static List<Path> reclaimStale(Path dir) {
        return StaleSegments.reclaim(dir, null);
    }

    public static Path path(Path dir, String name) {
        return dir.resolve(PREFIX + name);
    }

    /** Joins group {@code name} in {@link #DEFAULT_DIR}, waiting up to the config's timeout for the others. */
    public static Communicator join(String name, int rank, int[] nodeOfRank, CommunicatorConfig config) {
        return join(DEFAULT_DIR, name, rank, nodeOfRank, config);
    }

    public static Communicator join(Path dir, String name, int rank, int[] nodeOfRank, CommunicatorConfig config) {
        return join(dir, name, rank, nodeOfRank, config, config.timeoutNs());
    }

    /**
     * {@link #join(Path, String, int, int[], CommunicatorConfig)} waiting up to {@code joinTimeoutNs}
     * for the other ranks to join (the config's timeout still bounds every collective): for ranks
     * that start at different times, such as worker processes that each load a model first. A rank
     * that dies while the others wait still fails them at once.
     */
    public static Communicator join(Path dir, String name, int rank, int[] nodeOfRank, CommunicatorConfig config,
                                    long joinTimeoutNs) {
        if (!name.matches("[A-Za-z0-9._-]{1,100}")) {
            throw new CollectiveException("communicator name must be 1-100 characters of [A-Za-z0-9._-]: " + name);
        }
        int ranks = nodeOfRank.length;
        if (ranks < 1 || ranks > GroupLayout.MAX_RANKS || rank < 0 || rank >= ranks) {
            throw new CollectiveException("rank " + rank + " of " + ranks + " ranks is out of range (1 to "
                    + GroupLayout.MAX_RANKS + " ranks)");
        }
        Path path = path(dir, name);
        long headerBytes = GroupLayout.headerBytes(ranks);
        long slotBytes = config.slotBytes();
        long bufferBytes = config.bufferBytes();
        long regionBytes = RankLayout.regionBytes(slotBytes, bufferBytes);
        long stride = RankLayout.regionStride(slotBytes, bufferBytes);
        long fileBytes = headerBytes + ranks * stride;
        long deadline = System.nanoTime() + joinTimeoutNs;
        Arena arena = Arena.ofShared();
        String[] bindNotes = new String[ranks];
        Arrays.fill(bindNotes, "");
        if (rank == 0) {
            StaleSegments.reclaim(dir, path);
        }
        boolean created = false;
        try {
            MemorySegment file = rank == 0 ? create(path, arena, nodeOfRank, slotBytes, bufferBytes, fileBytes, bindNotes)
                    : open(path, arena, nodeOfRank, slotBytes, bufferBytes, fileBytes, deadline);
            created = rank == 0;
            MemorySegment header = file.asSlice(0, headerBytes);
            MemorySegment[] regions = new MemorySegment[ranks];
            for (int r = 0; r < ranks; r++) {
                regions[r] = file.asSlice(headerBytes + r * stride, regionBytes);
            }
            long generation = header.get(ValueLayout.JAVA_LONG, GroupLayout.GENERATION);
            // Publishes this rank's pid for the peers' liveness checks while it joins.
            SequenceFlags.setRelease(regions[rank], RankLayout.PID, ProcessHandle.current().pid());
            // Publishes this rank's pid; peers wait for every rank's JOINED before the first call.
            SequenceFlags.setRelease(regions[rank], RankLayout.JOINED, generation);
            awaitJoined(path, rank, regions, generation, deadline, joinTimeoutNs);
            if (created) {
                // Every rank has mapped it: the name is no longer needed, and an unlinked file cannot be left behind.
                removeOwn(path);
            }
            String[] policies = new String[ranks];
            String[] notes = new String[ranks];
            for (int r = 0; r < ranks; r++) {
                int code = header.get(ValueLayout.JAVA_INT, GroupLayout.POLICY_TABLE + 4L * r);
                policies[r] = code > 0 && code <= PlacementPolicy.values().length
                        ? PlacementPolicy.values()[code - 1].label() : "unknown";
                notes[r] = bindNotes[r]; // known to rank 0, which bound the regions
            }
            SharedGroup group = new SharedGroup(header, regions, nodeOfRank, config.slotBytes(), "processes " + path, false,
                    policies, notes, arena::close);
            return new ShmCommunicator(group, rank, config, group::release);
        } catch (RuntimeException e) {
            arena.close();
            if (created) {
                removeOwn(path);
            } else {
                StaleSegments.removeIfStale(path); // only when its creator has died
            }
            throw e;
        }
    }

    /** Unlinks {@code path} if this process created the file there (not a later group's file of the same name). */
    private static void removeOwn(Path path) {
        if (StaleSegments.creatorPid(path) == ProcessHandle.current().pid()) {
            try {
                Files.deleteIfExists(path);
            } catch (IOException e) {
                // Left behind: the next creator in this directory sees its creator is gone and removes it.
            }
        }
    }

    private static MemorySegment create(Path path, Arena arena, int[] nodeOfRank, long slotBytes, long bufferBytes,
                                        long fileBytes, String[] bindNotes) {
        long generation = 1;
        try (FileChannel existing = FileChannel.open(path, StandardOpenOption.READ)) {
            if (existing.size() >= GroupLayout.NODE_TABLE) {
                MemorySegment old = existing.map(FileChannel.MapMode.READ_ONLY, 0, GroupLayout.NODE_TABLE, arena);
                if (old.get(ValueLayout.JAVA_LONG, GroupLayout.MAGIC) == GroupLayout.MAGIC_VALUE) {
                    long pid = old.get(ValueLayout.JAVA_LONG, GroupLayout.CREATOR_PID);
                    if (pid != ProcessHandle.current().pid() && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                        throw new CollectiveException("shared memory file " + path + " is in use by live process " + pid
                                + " (generation " + old.get(ValueLayout.JAVA_LONG, GroupLayout.GENERATION)
                                + "); choose another communicator name");
                    }
                    generation = old.get(ValueLayout.JAVA_LONG, GroupLayout.GENERATION) + 1;
                }
            }
        } catch (NoSuchFileException e) {
            // Fresh name: generation 1.
        } catch (IOException e) {
            throw new CollectiveException("cannot read existing shared memory file " + path + ": " + e.getMessage(), e);
        }
        Path temp = path.resolveSibling(path.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        try (RandomAccessFile raw = new RandomAccessFile(temp.toFile(), "rw"); FileChannel channel = raw.getChannel()) {
            // Sized with ftruncate: a sparse file, so no page exists before the regions are bound.
            raw.setLength(0);
            raw.setLength(fileBytes);
            MemorySegment file = channel.map(FileChannel.MapMode.READ_WRITE, 0, fileBytes, arena);
            int[] policyCodes = bindRegions(file, nodeOfRank, RankLayout.regionStride(slotBytes, bufferBytes), bindNotes);
            for (int r = 0; r < nodeOfRank.length; r++) {
                file.set(ValueLayout.JAVA_INT, GroupLayout.POLICY_TABLE + 4L * r, policyCodes[r]);
            }
            ThreadTransport.writeHeader(file, nodeOfRank, slotBytes, bufferBytes, generation, ProcessHandle.current().pid());
            Files.move(temp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return file;
        } catch (IOException e) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException ignored) {
                // Best effort.
            }
            throw new CollectiveException("cannot create shared memory file " + path + " (" + fileBytes + " bytes): "
                    + e.getMessage(), e);
        }
    }

    /**
     * Binds the header to rank 0's node and each region to its rank's node, before first touch.
     * Returns each region's policy code for {@link GroupLayout#POLICY_TABLE}; {@code notes} gets
     * why a region is not bound strictly (node missing here, fallback steps).
     */
    private static int[] bindRegions(MemorySegment file, int[] nodeOfRank, long stride, String[] notes) {
        int ranks = nodeOfRank.length;
        long headerBytes = GroupLayout.headerBytes(ranks);
        var withMemory = KernelFiles.system().nodesWithMemory();
        int[] codes = new int[ranks];
        for (int r = -1; r < ranks; r++) {
            int node = nodeOfRank[Math.max(r, 0)];
            MemorySegment range = r < 0 ? file.asSlice(0, headerBytes) : file.asSlice(headerBytes + r * stride, stride);
            PlacementPolicy used = PlacementPolicy.PLAIN;
            String note;
            if (!withMemory.contains(node)) {
                note = "node " + node + " is not a node with memory here (" + withMemory + "): not bound";
            } else {
                try {
                    Placement placement = NodeMemory.system().bindRange(range, node, NodeBoundRegionAllocator.OPTIONS);
                    used = placement.policyUsed();
                    note = NodeBoundRegionAllocator.fallbackNote(placement);
                } catch (NodeMemoryException e) {
                    note = "not bound: " + e.getMessage();
                }
            }
            if (r >= 0) {
                codes[r] = 1 + used.ordinal();
                notes[r] = note;
            }
        }
        return codes;
    }

    private static MemorySegment open(Path path, Arena arena, int[] nodeOfRank, long slotBytes, long bufferBytes,
                                      long fileBytes, long deadline) {
        String lastProblem = "it does not exist";
        while (System.nanoTime() < deadline) {
            try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                if (channel.size() >= fileBytes) {
                    MemorySegment file = channel.map(FileChannel.MapMode.READ_WRITE, 0, fileBytes, arena);
                    String problem = validate(file, nodeOfRank, slotBytes, bufferBytes);
                    if (problem == null) {
                        return file;
                    }
                    long pid = file.get(ValueLayout.JAVA_LONG, GroupLayout.CREATOR_PID);
                    boolean creatorAlive = ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
                    if (creatorAlive && !problem.startsWith("stale")) {
                        throw new CollectiveException("shared memory file " + path + " does not match this rank: " + problem);
                    }
                    lastProblem = problem;
                } else {
                    lastProblem = "it has " + channel.size() + " bytes, expected " + fileBytes;
                }
            } catch (NoSuchFileException e) {
                lastProblem = "it does not exist";
            } catch (IOException e) {
                lastProblem = e.getMessage();
            }
            LockSupport.parkNanos(1_000_000);
        }
        throw new CollectiveException("timed out joining " + path + ": rank 0 did not create it in time (" + lastProblem + ")");
    }

    /** Null when the header matches, else what is wrong ("stale ..." when its creator is gone). */
    private static String validate(MemorySegment file, int[] nodeOfRank, long slotBytes, long bufferBytes) {
        if (SequenceFlags.getAcquire(file, GroupLayout.STATE) != GroupLayout.STATE_READY
                || file.get(ValueLayout.JAVA_LONG, GroupLayout.MAGIC) != GroupLayout.MAGIC_VALUE) {
            return "stale or foreign header (bad magic or not ready)";
        }
        long pid = file.get(ValueLayout.JAVA_LONG, GroupLayout.CREATOR_PID);
        if (!ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
            return "stale file: creator process " + pid + " has exited";
        }
        int version = file.get(ValueLayout.JAVA_INT, GroupLayout.VERSION);
        if (version != GroupLayout.VERSION_VALUE) {
            return "layout version " + version + ", expected " + GroupLayout.VERSION_VALUE;
        }
        int ranks = file.get(ValueLayout.JAVA_INT, GroupLayout.RANK_COUNT);
        if (ranks != nodeOfRank.length) {
            return ranks + " ranks, expected " + nodeOfRank.length;
        }
        long slot = file.get(ValueLayout.JAVA_LONG, GroupLayout.SLOT_BYTES);
        if (slot != slotBytes) {
            return "slot of " + slot + " bytes, expected " + slotBytes;
        }
        long region = file.get(ValueLayout.JAVA_LONG, GroupLayout.REGION_BYTES);
        if (region != RankLayout.regionBytes(slotBytes, bufferBytes)) {
            return "buffer area of " + (region - RankLayout.buffers(slot)) + " bytes per rank, expected " + bufferBytes;
        }
        for (int r = 0; r < ranks; r++) {
            int node = file.get(ValueLayout.JAVA_INT, GroupLayout.NODE_TABLE + 4L * r);
            if (node != nodeOfRank[r]) {
                return "rank " + r + " on node " + node + ", expected node " + nodeOfRank[r];
            }
        }
        return null;
    }

    /**
     * Waits until every rank has published {@code JOINED == generation}, checking every
     * {@link #LIVENESS_CHECK_NS} that each rank that wrote its pid still runs.
     */
    private static void awaitJoined(Path path, int rank, MemorySegment[] regions, long generation, long deadline,
                                    long timeoutNs) {
        long self = ProcessHandle.current().pid();
        long nextCheckNs = System.nanoTime() + LIVENESS_CHECK_NS;
        for (int r = 0; r < regions.length; r++) {
            while (SequenceFlags.getAcquire(regions[r], RankLayout.JOINED) != generation) {
                long now = System.nanoTime();
                if (now > deadline) {
                    throw new CollectiveException("join " + path + ": rank " + rank + " timed out after "
                            + timeoutNs / 1_000_000 + " ms; missing ranks: " + missing(regions, generation));
                }
                if (now >= nextCheckNs) {
                    nextCheckNs = now + LIVENESS_CHECK_NS;
                    for (int q = 0; q < regions.length; q++) {
                        long pid = SequenceFlags.getAcquire(regions[q], RankLayout.PID);
                        if (pid != 0 && pid != self && !ProcessLiveness.running(pid)) {
                            throw new CollectiveException("join " + path + ": rank " + q + " (pid " + pid
                                    + ") exited while joining; seen from rank " + rank + ", missing ranks: "
                                    + missing(regions, generation));
                        }
                    }
                }
                LockSupport.parkNanos(200_000);
            }
        }
    }

    private static List<Integer> missing(MemorySegment[] regions, long generation) {
        List<Integer> missing = new ArrayList<>();
        for (int q = 0; q < regions.length; q++) {
            if (SequenceFlags.getAcquire(regions[q], RankLayout.JOINED) != generation) {
                missing.add(q);
            }
        }
        return missing;
    }
}
