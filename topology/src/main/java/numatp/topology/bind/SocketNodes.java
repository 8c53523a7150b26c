package numatp.topology.bind;

import numatp.topology.Cpu;
import numatp.topology.IdSet;
import numatp.topology.NumaNode;
import numatp.topology.Topology;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One socket (package) and its NUMA nodes with CPUs, lowest id first: the first node runs a
 * group's processes, the second its forward threads. Sockets are numbered 0.. in the order of
 * their lowest node id, which is what {@code others_socket_index} counts.
 */
public record SocketNodes(int index, int packageIndex, List<NumaNode> nodes) {
    public SocketNodes {
        nodes = List.copyOf(nodes);
        if (nodes.isEmpty()) {
            throw new BindException("socket " + index + " has no NUMA node with CPUs");
        }
    }

    public NumaNode first() {
        return nodes.getFirst();
    }

    /** The second node, or the first when the socket has only one. */
    public NumaNode second() {
        return nodes.size() > 1 ? nodes.get(1) : nodes.getFirst();
    }

    public IdSet nodeIds() {
        return IdSet.of(nodes.stream().mapToInt(NumaNode::id).toArray());
    }

    /** The socket's nodes that have memory (for interleaving), or all of them when none reports any. */
    public IdSet memoryNodeIds() {
        int[] ids = nodes.stream().filter(NumaNode::hasMemory).mapToInt(NumaNode::id).toArray();
        return ids.length == 0 ? nodeIds() : IdSet.of(ids);
    }

    /** The sockets of a machine: nodes with online CPUs grouped by the package of their lowest CPU. */
    public static List<SocketNodes> of(Topology topology) {
        Map<Integer, List<NumaNode>> byPackage = new TreeMap<>();
        Map<Integer, Integer> lowestNode = new TreeMap<>();
        IdSet online = IdSet.of(topology.cpus().stream().filter(Cpu::online).mapToInt(Cpu::id).toArray());
        for (NumaNode listed : topology.nodes()) {
            NumaNode node = listed.restrictCpus(online); // the kernel drops offline CPUs from a mask: verify would differ
            if (!node.hasCpus()) {
                continue;
            }
            int pkg = -1;
            for (var cpu : topology.cpus()) {
                if (cpu.id() == node.cpus().first()) {
                    pkg = cpu.packageIndex();
                    break;
                }
            }
            byPackage.computeIfAbsent(pkg, k -> new ArrayList<>()).add(node);
            lowestNode.merge(pkg, node.id(), Math::min);
        }
        List<Integer> order = new ArrayList<>(byPackage.keySet());
        order.sort((a, b) -> Integer.compare(lowestNode.get(a), lowestNode.get(b)));
        List<SocketNodes> out = new ArrayList<>();
        for (int pkg : order) {
            List<NumaNode> nodes = new ArrayList<>(byPackage.get(pkg));
            nodes.sort((a, b) -> Integer.compare(a.id(), b.id()));
            out.add(new SocketNodes(out.size(), pkg, nodes));
        }
        return out;
    }
}
