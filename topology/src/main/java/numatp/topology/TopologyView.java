package numatp.topology;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * One reading of the machine: either everything online ({@link Topology#complete()}) or
 * only what this process may use ({@link Topology#allowed()}). In the allowed view the
 * nodes are the allowed memory nodes, each with only its allowed CPUs, the CPUs are the
 * allowed ones and the distances are restricted to the allowed nodes.
 *
 * @param nodes     online nodes, ascending by id
 * @param cpus      online CPUs, ascending by id
 * @param distances over {@code nodes}
 */
public record TopologyView(List<NumaNode> nodes, List<Cpu> cpus, Distances distances) {
    public TopologyView {
        nodes = List.copyOf(nodes);
        cpus = List.copyOf(cpus);
        if (distances == null || distances.size() != nodes.size()) {
            throw new TopologyException("distance matrix must cover the " + nodes.size() + " nodes: " + distances);
        }
        for (int i = 0; i < nodes.size(); i++) {
            if (distances.nodeIds()[i] != nodes.get(i).id()) {
                throw new TopologyException("distance matrix nodes " + distances + " differ from the nodes");
            }
        }
    }

    /** Node ids of this view, ascending. */
    public IdSet nodeIds() {
        return IdSet.of(nodes.stream().mapToInt(NumaNode::id).toArray());
    }

    /** CPU ids of this view. */
    public IdSet cpuIds() {
        return IdSet.of(cpus.stream().mapToInt(Cpu::id).toArray());
    }

    /** Packages holding at least one CPU of this view. */
    public int packageCount() {
        return distinct(cpus, 0);
    }

    /** Dies holding at least one CPU of this view. */
    public int dieCount() {
        return distinct(cpus, 1);
    }

    /** Cores holding at least one CPU of this view. */
    public int coreCount() {
        return distinct(cpus, 2);
    }

    /** Hardware threads (PUs) of this view. */
    public int puCount() {
        return cpus.size();
    }

    public NumaNode node(int id) {
        for (NumaNode n : nodes) {
            if (n.id() == id) {
                return n;
            }
        }
        throw new TopologyException("no node " + id + " in " + nodeIds());
    }

    private static int distinct(List<Cpu> cpus, int what) {
        Set<Integer> seen = new HashSet<>();
        for (Cpu c : cpus) {
            int key = switch (what) {
                case 0 -> c.packageIndex();
                case 1 -> c.die();
                default -> c.core();
            };
            if (key >= 0) {
                seen.add(key);
            }
        }
        return seen.size();
    }
}
