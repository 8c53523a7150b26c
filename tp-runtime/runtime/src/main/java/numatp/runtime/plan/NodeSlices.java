package numatp.runtime.plan;

import numatp.topology.Cpu;
import numatp.topology.IdSet;
import numatp.topology.NumaNode;
import numatp.topology.Topology;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Splits one node's allowed CPUs among replicas that share the node, and gives each
 * replica a {@link Topology} in which only its CPUs are allowed, so that
 * {@link PlacementPlanner} plans it like any machine. Whole physical cores go to one slice
 * (SMT siblings stay together), in ascending order of their lowest CPU id, so a slice is a
 * run of neighbouring cores.
 */
final class NodeSlices {
    private NodeSlices() {
    }

    /** {@code node}'s allowed CPUs cut into {@code slices} sets of whole cores (sizes differ by at most one core). */
    static List<IdSet> split(Topology topology, int node, int slices) {
        List<IdSet> cores = cores(topology, node);
        if (cores.size() < slices) {
            throw new PlanException(slices + " replicas share node " + node + ", but it has only " + cores.size()
                    + " allowed core" + (cores.size() == 1 ? "" : "s") + ": every replica needs a core of its own"
                    + " (fewer --replicas, or more nodes with --numa-nodes)");
        }
        List<IdSet> out = new ArrayList<>(slices);
        int next = 0;
        for (int s = 0; s < slices; s++) {
            int size = cores.size() / slices + (s < cores.size() % slices ? 1 : 0);
            IdSet slice = IdSet.empty();
            for (int c = 0; c < size; c++) {
                slice = slice.union(cores.get(next++));
            }
            out.add(slice);
        }
        return out;
    }

    /** Allowed physical cores of {@code node}, each as its allowed CPUs; a CPU of unknown core is a core alone. */
    static List<IdSet> cores(Topology topology, int node) {
        Map<Integer, IdSet> byCore = new TreeMap<>();
        for (Cpu cpu : topology.cpus()) {
            if (cpu.allowed() && cpu.node() == node) {
                int key = cpu.core() >= 0 ? cpu.core() : -1 - cpu.id();
                byCore.merge(key, IdSet.of(cpu.id()), IdSet::union);
            }
        }
        List<IdSet> cores = new ArrayList<>(byCore.values());
        cores.sort((a, b) -> Integer.compare(a.first(), b.first()));
        return cores;
    }

    /**
     * {@code topology} with only {@code cpus} allowed, and {@code node}'s free memory lowered
     * by {@code reservedBytes} (what replicas planned before this one take from it).
     */
    static Topology restrict(Topology topology, IdSet cpus, int node, long reservedBytes) {
        List<Cpu> restricted = new ArrayList<>(topology.cpus().size());
        for (Cpu c : topology.cpus()) {
            boolean allowed = c.allowed() && cpus.contains(c.id());
            restricted.add(allowed == c.allowed() ? c : new Cpu(c.id(), c.node(), c.packageIndex(), c.die(), c.core(),
                    c.siblings(), c.l3Group(), c.online(), allowed));
        }
        List<NumaNode> nodes = new ArrayList<>(topology.nodes().size());
        for (NumaNode n : topology.nodes()) {
            nodes.add(n.id() != node || reservedBytes == 0 ? n : new NumaNode(n.id(), n.cpus(), n.memTotalBytes(),
                    Math.max(0, n.memFreeBytes() - reservedBytes), n.hugepages()));
        }
        return new Topology(topology.numaAvailable(), nodes, restricted, topology.distances(),
                topology.allowedCpus().intersect(cpus), topology.allowedNodes(), topology.allowedSource(),
                topology.devices(), topology.acceleratorNodes());
    }
}
