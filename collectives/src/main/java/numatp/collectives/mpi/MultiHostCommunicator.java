package numatp.collectives.mpi;

import numatp.collectives.CollectiveException;
import numatp.collectives.Communicator;
import numatp.collectives.CommunicatorConfig;
import numatp.collectives.CommunicatorStats;
import numatp.collectives.ElementType;
import numatp.collectives.RegionPlacement;
import numatp.collectives.shm.ProcessTransport;
import numatp.collectives.shm.ThreadTransport;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The three tiers of numatp's allreduce across hosts: the shards of a host reduce over shared
 * memory (inside each node, then across the host's nodes), the hosts' leaders reduce over MPI in
 * host order ({@link MpiCommunicator}), and each leader broadcasts the result to its host over
 * shared memory. Every world rank holds the same number of consecutive shards (world rank r holds
 * ranks {@code [r*s, (r+1)*s)} of the group, one communicator each, used by its own thread), and
 * ranks are numbered host by host (host 0's first, as mpirun's {@code --map-by node} with
 * consecutive ranks per host gives them), so a shard's global rank is its host's first shard
 * plus its shard on the host. A host's shared-memory tier is the thread transport
 * ({@link ThreadTransport}) when the host has one world rank (all its shards are threads of one
 * process), else the process transport ({@link ProcessTransport}). The host's first shard leads it.
 *
 * <p>Order: element i is {@code H0 + H1 + ...} folded in host order, each {@code Hh} the
 * host's shared-memory sum in its shard order; the same expression on every shard, so all end
 * bitwise identical. It is not the single-host order ({@code ((s0 + s1) + s2) + ...}) unless
 * the summands are exact, as the engine's {@code --reduction exact} limbs are: with them a
 * run over two hosts gives bitwise the logits of one.
 */
public final class MultiHostCommunicator implements Communicator {
    private final MpiSession session;
    private final Communicator local;
    private final MpiCommunicator leaders; // null unless this shard leads its host
    private final int rank;
    private final int size;
    private final int hostFirstRank;
    private final int[] firstRankOfHost; // by host, then the group's size: global ranks [first[h], first[h + 1])
    private final int[] nodeOfRank;
    private final Arena arena = Arena.ofShared();
    private MemorySegment scratch;

    private MultiHostCommunicator(MpiSession session, Communicator local, MpiCommunicator leaders, int[] nodeOfRank,
                                  int[] firstRankOfHost) {
        this.session = session;
        this.local = local;
        this.leaders = leaders;
        this.nodeOfRank = nodeOfRank;
        this.firstRankOfHost = firstRankOfHost;
        this.hostFirstRank = firstRankOfHost[session.hostOfRank(session.worldRank())];
        this.rank = hostFirstRank + local.rank();
        this.size = nodeOfRank.length;
    }

    /**
     * One shard per process: {@link #join(MpiSession, int, int[], CommunicatorConfig)} with one
     * shard per rank; {@code localNodes} is this host's node of each of its ranks.
     */
    public static MultiHostCommunicator join(MpiSession session, int[] localNodes, CommunicatorConfig config) {
        return join(session, 1, localNodes, config).getFirst();
    }

    /**
     * Joins every process of the session's job, each holding {@code shardsPerRank} shards;
     * returns this rank's communicators in shard order. Ranks on a host must be consecutive world
     * ranks. {@code hostNodes} is this host's node of each of its shards (by shard on the host:
     * its first rank's shards first); every shard's node is allgathered so {@link #nodeOfRank}
     * answers for all. Where the host has several ranks, its leader names a fresh shared-memory
     * group and broadcasts the name over MPI to its host, and each held shard joins it on its own
     * thread (a join waits for every shard of the host).
     */
    public static List<MultiHostCommunicator> join(MpiSession session, int shardsPerRank, int[] hostNodes,
                                                   CommunicatorConfig config) {
        if (shardsPerRank < 1) {
            throw new MpiException("shards per rank must be >= 1: " + shardsPerRank);
        }
        int hosts = session.hosts();
        int[] firstRankOfHost = new int[hosts + 1];
        int previousHost = -1;
        for (int r = 0; r < session.worldSize(); r++) {
            int host = session.hostOfRank(r);
            if (host < previousHost || (host != previousHost && r > 0 && host != previousHost + 1)) {
                throw new MpiException("world rank " + r + " is on host " + session.hostName(host) + " after ranks of"
                        + " host " + session.hostName(previousHost) + ": numatp needs each host's ranks consecutive"
                        + " (mpirun --map-by node with ranks filled host by host, e.g. --map-by ppr:N:node)");
            }
            if (host != previousHost) {
                firstRankOfHost[host] = r * shardsPerRank;
                previousHost = host;
            }
        }
        firstRankOfHost[hosts] = session.worldSize() * shardsPerRank;
        MpiCommunicator host = session.hostCommunicator();
        List<Communicator> locals = new ArrayList<>();
        try {
            if (hostNodes.length != host.size() * shardsPerRank) {
                throw new MpiException("host " + session.hostName(session.hostOfRank(session.worldRank())) + " has "
                        + host.size() + " ranks of " + shardsPerRank + " shards, but " + hostNodes.length
                        + " nodes were given for them");
            }
            int firstHeld = host.rank() * shardsPerRank;
            if (host.size() == 1) {
                locals.addAll(ThreadTransport.create(hostNodes, config));
            } else {
                locals.addAll(joinProcessGroup(groupName(session, host), firstHeld, shardsPerRank, hostNodes, config));
            }
            int[] nodeOfRank = gatherNodes(session, Arrays.copyOfRange(hostNodes, firstHeld, firstHeld + shardsPerRank));
            List<MultiHostCommunicator> held = new ArrayList<>();
            for (int i = 0; i < shardsPerRank; i++) {
                MpiCommunicator leaders = i == 0 && session.isLeader() ? session.leaderCommunicator() : null;
                held.add(new MultiHostCommunicator(session, locals.get(i), leaders, nodeOfRank, firstRankOfHost));
            }
            return held;
        } catch (RuntimeException e) {
            for (Communicator c : locals) {
                c.close();
            }
            throw e;
        } finally {
            host.close();
        }
    }

    /** Joins this process's shards {@code [first, first + count)} of the host's group, each on its own thread. */
    private static List<Communicator> joinProcessGroup(String name, int first, int count, int[] hostNodes,
                                                       CommunicatorConfig config) {
        List<Communicator> joined = new ArrayList<>();
        RuntimeException failure = null;
        try (ExecutorService joins = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Communicator>> pending = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                int shard = first + i;
                pending.add(joins.submit(() -> ProcessTransport.join(name, shard, hostNodes, config)));
            }
            for (Future<Communicator> f : pending) {
                try {
                    joined.add(f.get());
                } catch (ExecutionException e) {
                    if (failure == null) {
                        failure = e.getCause() instanceof RuntimeException r ? r
                                : new MpiException("joining the host's shared-memory group failed: " + e.getCause());
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    failure = new MpiException("interrupted while joining the host's shared-memory group");
                }
            }
        }
        if (failure != null) {
            for (Communicator c : joined) {
                c.close();
            }
            throw failure;
        }
        return joined;
    }

    /** The host leader's fresh name for the host's shared-memory group, broadcast to the host. */
    private static String groupName(MpiSession session, MpiCommunicator host) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(128);
            if (host.rank() == 0) {
                byte[] name = ("numatp-mpi-" + ProcessTransport.uniqueName()).getBytes(StandardCharsets.US_ASCII);
                MemorySegment.copy(name, 0, buffer, ValueLayout.JAVA_BYTE, 0, Math.min(name.length, 127));
            }
            host.broadcast(buffer, 32, ElementType.F32, 0);
            return buffer.getString(0);
        }
    }

    private static int[] gatherNodes(MpiSession session, int[] heldNodes) {
        try (MpiCommunicator world = session.worldCommunicator()) {
            return world.allGatherInts(heldNodes);
        }
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
    public int nodeOfRank(int rank) {
        if (rank < 0 || rank >= size) {
            throw new CollectiveException("rank " + rank + " outside [0, " + size + ")");
        }
        return nodeOfRank[rank];
    }

    /** The host of global rank {@code rank}. */
    public int hostOfRank(int rank) {
        if (rank < 0 || rank >= size) {
            throw new CollectiveException("rank " + rank + " outside [0, " + size + ")");
        }
        int host = 0;
        while (firstRankOfHost[host + 1] <= rank) {
            host++;
        }
        return host;
    }

    @Override
    public void allReduce(MemorySegment buffer, long count, ElementType type) {
        boolean shared = local.size() > 1; // one rank per host: nothing to do in shared memory
        if (shared) {
            local.allReduce(buffer, count, type);
        }
        if (leaders != null && leaders.size() > 1) {
            leaders.allReduce(buffer, count, type);
        }
        if (shared) {
            local.broadcast(buffer, count, type, 0);
        }
    }

    @Override
    public void allGather(MemorySegment send, MemorySegment receive, long countPerRank, ElementType type) {
        long bytes = countPerRank * type.sizeBytes();
        int hostRanks = local.size();
        // This host's blocks, in host rank order, where they belong in the global layout.
        MemorySegment hostBlock = receive.asSlice(hostFirstRank * bytes, hostRanks * bytes);
        local.allGather(send, hostBlock, countPerRank, type);
        if (leaders != null) {
            if (leaders.size() > 1) {
                // Hosts may have different rank counts: gather each host's blocks padded to the largest host.
                int widest = 0;
                for (int h = 0; h < session.hosts(); h++) {
                    widest = Math.max(widest, firstRankOfHost[h + 1] - firstRankOfHost[h]);
                }
                MemorySegment padded = scratch(widest * bytes * (session.hosts() + 1L));
                MemorySegment mine = padded.asSlice(0, widest * bytes);
                MemorySegment.copy(hostBlock, 0, mine, 0, hostRanks * bytes);
                MemorySegment all = padded.asSlice(widest * bytes);
                leaders.allGather(mine, all, widest * countPerRank, type);
                for (int h = 0; h < session.hosts(); h++) {
                    long n = (firstRankOfHost[h + 1] - firstRankOfHost[h]) * bytes;
                    MemorySegment.copy(all, h * widest * bytes, receive, firstRankOfHost[h] * bytes, n);
                }
            }
        }
        local.broadcast(receive, countPerRank * size, type, 0);
    }

    @Override
    public void reduceScatter(MemorySegment send, MemorySegment receive, long countPerRank, ElementType type) {
        long bytes = countPerRank * type.sizeBytes();
        MemorySegment copy = scratch(bytes * size);
        MemorySegment.copy(send, 0, copy, 0, bytes * size);
        allReduce(copy, countPerRank * size, type);
        MemorySegment.copy(copy, rank * bytes, receive, 0, bytes);
    }

    @Override
    public void broadcast(MemorySegment buffer, long count, ElementType type, int root) {
        int rootHost = hostOfRank(root);
        int myHost = hostOfRank(rank);
        if (myHost == rootHost) {
            local.broadcast(buffer, count, type, root - hostFirstRank);
        }
        if (leaders != null && leaders.size() > 1) {
            leaders.broadcast(buffer, count, type, rootHost);
        }
        if (myHost != rootHost) {
            local.broadcast(buffer, count, type, 0);
        }
    }

    @Override
    public CommunicatorStats stats() {
        CommunicatorStats l = local.stats();
        if (leaders == null) {
            return l;
        }
        CommunicatorStats m = leaders.stats();
        return new CommunicatorStats(l.calls(), l.bytesReduced(), l.localBytes(), l.interNodeBytes(), l.waitNs(),
                l.workNs() + m.workNs(), l.sameCpuWaits());
    }

    @Override
    public List<RegionPlacement> regionPlacements() {
        return local.regionPlacements();
    }

    @Override
    public void barrier() {
        local.barrier();
        if (leaders != null) {
            leaders.barrier();
        }
        local.barrier();
    }

    @Override
    public void abort(String reason) {
        local.abort(reason);
        if (leaders != null) {
            leaders.abort(reason);
        }
    }

    @Override
    public void close() {
        try {
            local.close();
        } finally {
            if (leaders != null) {
                leaders.close();
            }
            arena.close();
        }
    }

    private MemorySegment scratch(long bytes) {
        if (scratch == null || scratch.byteSize() < bytes) {
            scratch = arena.allocate(Math.max(64, bytes), 64);
        }
        return scratch;
    }
}
