package numatp.bench;

import numatp.topology.Cpu;
import numatp.topology.Distances;
import numatp.topology.IdSet;
import numatp.topology.NumaNode;
import numatp.topology.Topology;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A generated multi-socket machine for the planner benchmark, built from the public
 * topology records (no sysfs tree needed): {@code nodes} nodes split over two sockets
 * (one socket when there is one node), {@code coresPerNode} cores of two SMT threads each,
 * SLIT 10 on the node, 12 within a socket, 32 across; every CPU and node allowed.
 */
final class SyntheticTopology {
    static final int SAME_SOCKET = 12;
    static final int OTHER_SOCKET = 32;

    private SyntheticTopology() {
    }

    static Topology twoSockets(int nodes, int coresPerNode, long memFreeBytesPerNode) {
        if (nodes <= 0 || coresPerNode <= 0 || memFreeBytesPerNode < 0) {
            throw new BenchException("topology needs nodes > 0, coresPerNode > 0, memory >= 0: nodes=" + nodes
                    + ", coresPerNode=" + coresPerNode + ", memFreeBytesPerNode=" + memFreeBytesPerNode);
        }
        int nodesPerSocket = Math.ceilDiv(nodes, 2);
        List<NumaNode> numaNodes = new ArrayList<>();
        List<Cpu> cpus = new ArrayList<>();
        int[] ids = new int[nodes];
        int[][] slit = new int[nodes][nodes];
        int nextCpu = 0;
        for (int n = 0; n < nodes; n++) {
            ids[n] = n;
            int socket = n / nodesPerSocket;
            int first = nextCpu;
            for (int thread = 0; thread < 2; thread++) {
                for (int c = 0; c < coresPerNode; c++) {
                    int id = nextCpu++;
                    IdSet siblings = IdSet.of(first + c, first + coresPerNode + c);
                    cpus.add(new Cpu(id, n, socket, n, n * coresPerNode + c, siblings, n, true, true));
                }
            }
            numaNodes.add(new NumaNode(n, IdSet.range(first, nextCpu - 1), 2 * memFreeBytesPerNode,
                    memFreeBytesPerNode, List.of()));
            for (int m = 0; m < nodes; m++) {
                slit[n][m] = m == n ? Distances.LOCAL : m / nodesPerSocket == socket ? SAME_SOCKET : OTHER_SOCKET;
            }
        }
        return new Topology(true, numaNodes, cpus, new Distances(ids, slit), IdSet.range(0, nextCpu - 1),
                IdSet.range(0, nodes - 1), "synthetic", List.of(), Map.of());
    }
}
