package numatp.collectives.mpi;

import numatp.collectives.CollectiveException;
import numatp.collectives.Communicator;
import numatp.collectives.CommunicatorConfig;
import numatp.collectives.CommunicatorStats;
import numatp.collectives.ElementType;
import numatp.collectives.RegionPlacement;
import numatp.collectives.shm.ProcessTransport;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The three tiers of numatp's allreduce across hosts, one process per rank: the ranks of a
 * host reduce over shared memory ({@link ProcessTransport}: inside each node, then across
 * the host's nodes), the hosts' leaders reduce over MPI in host order
 * ({@link MpiCommunicator}), and each leader broadcasts the result to its host over shared
 * memory. Ranks are numbered host by host (host 0's ranks first, as mpirun's
 * {@code --map-by node} with consecutive ranks per host gives them), so a rank's global
 * number is its host's first rank plus its rank on the host.
 *
 * <p>Order: element i is {@code H0 + H1 + ...} folded in host order, each {@code Hh} the
 * host's shared-memory sum in its rank order; the same expression on every rank, so all end
 * bitwise identical. It is not the single-host order ({@code ((s0 + s1) + s2) + ...}) unless
 * the summands are exact, as the engine's {@code --reduction exact} limbs are: with them a
 * run over two hosts gives bitwise the logits of one.
 */
public final class MultiHostCommunicator implements Communicator {
    private final MpiSession session;
    private final Communicator local;
    private final MpiCommunicator leaders; // null unless this rank leads its host
    private final int rank;
    private final int size;
    private final int hostFirstRank;
    private final int[] firstRankOfHost;
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
     * Joins every process of the session's job: the host's leader names a fresh shared-memory
     * group and broadcasts the name over MPI to its host; ranks on a host must be consecutive
     * world ranks. {@code localNodes} is this host's node of each of its ranks (by rank on the
     * host); every rank's nodes are allgathered so {@link #nodeOfRank} answers for all.
     */
    public static MultiHostCommunicator join(MpiSession session, int[] localNodes, CommunicatorConfig config) {
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
                firstRankOfHost[host] = r;
                previousHost = host;
            }
        }
        firstRankOfHost[hosts] = session.worldSize();
        MpiCommunicator host = session.hostCommunicator();
        try {
            if (localNodes.length != host.size()) {
                throw new MpiException("host " + session.hostName(session.hostOfRank(session.worldRank())) + " has "
                        + host.size() + " ranks, but " + localNodes.length + " nodes were given for them");
            }
            String name = groupName(session, host);
            Communicator local = ProcessTransport.join(name, host.rank(), localNodes, config);
            int[] nodeOfRank = gatherNodes(session, localNodes[host.rank()]);
            MpiCommunicator leaders = session.isLeader() ? session.leaderCommunicator() : null;
            return new MultiHostCommunicator(session, local, leaders, nodeOfRank, firstRankOfHost);
        } finally {
            host.close();
        }
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

    private static int[] gatherNodes(MpiSession session, int node) {
        try (MpiCommunicator world = session.worldCommunicator()) {
            return world.allGatherInt(node);
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
        return session.hostOfRank(rank);
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
        int rootHost = session.hostOfRank(root);
        int myHost = session.hostOfRank(session.worldRank());
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
