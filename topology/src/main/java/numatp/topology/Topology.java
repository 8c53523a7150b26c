package numatp.topology;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the machine is, as read once by {@link TopologyDetector}: the online NUMA nodes,
 * every CPU the kernel lists (offline ones flagged), the SLIT distances, what this
 * process may use, and PCI devices with their node. Immutable.
 *
 * <p>Two views: {@link #complete()} is everything online; {@link #allowed()} is what
 * the cgroup cpuset and the process affinity allow. Planning uses the allowed view.
 *
 * @param numaAvailable   false when the kernel exposes no NUMA information; there is
 *                        then one node 0 holding every CPU and {@code /proc/meminfo} memory
 * @param nodes           online nodes, ascending by id
 * @param cpus            every CPU present in sysfs, ascending by id, offline ones included
 * @param distances       over {@code nodes}
 * @param allowedCpus     online CPUs this process may run on
 * @param allowedNodes    online nodes this process may allocate from
 * @param allowedSource   where the allowed sets came from, for humans (cgroup path, files)
 * @param devices         PCI devices, ascending by address
 * @param acceleratorNodes node of {@code /sys/class/accel/accelN}, by N (-1: unknown)
 */
public record Topology(boolean numaAvailable, List<NumaNode> nodes, List<Cpu> cpus, Distances distances,
                       IdSet allowedCpus, IdSet allowedNodes, String allowedSource, List<PciDevice> devices,
                       Map<Integer, Integer> acceleratorNodes) {
    private static final System.Logger LOG = System.getLogger(Topology.class.getName());

    public Topology {
        nodes = List.copyOf(nodes);
        cpus = List.copyOf(cpus);
        devices = devices == null ? List.of() : List.copyOf(devices);
        acceleratorNodes = acceleratorNodes == null ? Map.of() : Map.copyOf(new TreeMap<>(acceleratorNodes));
        allowedSource = allowedSource == null ? "" : allowedSource;
        if (nodes.isEmpty()) {
            throw new TopologyException("a topology needs at least one node");
        }
        IdSet nodeIds = IdSet.of(nodes.stream().mapToInt(NumaNode::id).toArray());
        if (nodeIds.size() != nodes.size()) {
            throw new TopologyException("duplicate node ids in " + nodes.stream().map(NumaNode::id).toList());
        }
        if (!nodeIds.containsAll(allowedNodes)) {
            throw new TopologyException("allowed nodes " + allowedNodes + " are not all online nodes " + nodeIds);
        }
        IdSet online = IdSet.of(cpus.stream().filter(Cpu::online).mapToInt(Cpu::id).toArray());
        if (!online.containsAll(allowedCpus)) {
            throw new TopologyException("allowed cpus " + allowedCpus + " are not all online cpus " + online);
        }
        for (Cpu c : cpus) {
            if (c.allowed() != allowedCpus.contains(c.id())) {
                throw new TopologyException("cpu" + c.id() + ": allowed flag disagrees with allowed cpus " + allowedCpus);
            }
            if (c.node() >= 0 && !nodeIds.contains(c.node())) {
                throw new TopologyException("cpu" + c.id() + ": node " + c.node() + " is not online " + nodeIds);
            }
        }
        new TopologyView(nodes, List.of(), distances);
    }

    /** Everything online, ignoring the cgroup and affinity restrictions. */
    public TopologyView complete() {
        return new TopologyView(nodes, cpus.stream().filter(Cpu::online).toList(), distances);
    }

    /** What this process may use: allowed nodes (with their allowed CPUs) and allowed CPUs. */
    public TopologyView allowed() {
        List<NumaNode> kept = new ArrayList<>();
        for (NumaNode n : nodes) {
            if (allowedNodes.contains(n.id())) {
                kept.add(n.restrictCpus(allowedCpus));
            }
        }
        return new TopologyView(kept, cpus.stream().filter(Cpu::allowed).toList(), distances.restrictTo(allowedNodes));
    }

    public Cpu cpu(int id) {
        for (Cpu c : cpus) {
            if (c.id() == id) {
                return c;
            }
        }
        throw new TopologyException("no cpu " + id);
    }

    /**
     * The node accelerator {@code n} is attached to: {@code /sys/class/accel/accelN}, else the
     * n-th accelerator-class PCI device with a known node, else round-robin over the allowed
     * nodes (with a warning), so every caller gets a usable node.
     */
    public int acceleratorNode(int n) {
        if (n < 0) {
            throw new TopologyException("accelerator index must be >= 0: " + n);
        }
        Integer fromAccel = acceleratorNodes.get(n);
        if (fromAccel != null && fromAccel >= 0 && allowedOrOnline(fromAccel)) {
            return fromAccel;
        }
        List<PciDevice> accelerators = devices.stream().filter(PciDevice::isAccelerator).toList();
        if (n < accelerators.size() && accelerators.get(n).node() >= 0 && allowedOrOnline(accelerators.get(n).node())) {
            return accelerators.get(n).node();
        }
        int[] candidates = (allowedNodes.isEmpty() ? complete().nodeIds() : allowedNodes).toArray();
        int node = candidates[n % candidates.length];
        LOG.log(System.Logger.Level.WARNING, "node of accelerator " + n + " is unknown; assigning node " + node
                + " round-robin");
        return node;
    }

    private boolean allowedOrOnline(int node) {
        return nodes.stream().anyMatch(x -> x.id() == node);
    }
}
