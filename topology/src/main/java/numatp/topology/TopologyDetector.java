package numatp.topology;

import numatp.topology.sysfs.CpuReader;
import numatp.topology.sysfs.CpusetReader;
import numatp.topology.sysfs.HugePagesReader;
import numatp.topology.sysfs.MeminfoParser;
import numatp.topology.sysfs.NodeReader;
import numatp.topology.sysfs.PciReader;
import numatp.topology.sysfs.SysFs;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads sysfs/procfs under a root directory into a {@link Topology}. The root is
 * {@code /} on a live machine, or an extracted capture. Every malformed file gives a
 * {@link TopologyException} naming the file and its content; missing optional files
 * (distances, caches, cgroup) are tolerated, with a warning where it matters.
 */
public final class TopologyDetector {
    private static final System.Logger LOG = System.getLogger(TopologyDetector.class.getName());

    private TopologyDetector() {
    }

    /** The live machine. */
    public static Topology detect() {
        return detect(Path.of("/"));
    }

    public static Topology detect(Path root) {
        return detect(new SysFs(root));
    }

    /** Detection through {@code fs}, which remembers every path read (used for captures). */
    public static Topology detect(SysFs fs) {
        try {
            return read(fs);
        } catch (TopologyException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new TopologyException("cannot read the topology under " + fs.root() + ": " + e, e);
        }
    }

    private static Topology read(SysFs fs) {
        CpuReader.CpuScan cpuScan = CpuReader.read(fs);
        IdSet online = cpuScan.online();
        CpusetReader.Allowed allowed = CpusetReader.read(fs);
        IdSet allowedCpus = allowed.cpus().map(online::intersect).orElse(online);
        if (allowedCpus.isEmpty()) {
            LOG.log(System.Logger.Level.WARNING, "the allowed cpus " + allowed.cpus().orElse(IdSet.empty())
                    + " (" + allowed.source() + ") hold no online cpu " + online + "; treating all as allowed");
            allowedCpus = online;
        }
        Optional<NodeReader.NodeScan> nodeScan = NodeReader.read(fs);
        boolean numa = nodeScan.isPresent();
        List<NumaNode> nodes = numa ? nodes(nodeScan.get(), online) : List.of(wholeMachine(fs, allowedCpus));
        Distances distances = numa ? nodeScan.get().distances() : Distances.uniform(new int[] {0});
        IdSet nodeIds = IdSet.of(nodes.stream().mapToInt(NumaNode::id).toArray());
        IdSet allowedNodes = numa ? allowed.mems().map(nodeIds::intersect).orElse(nodeIds) : nodeIds;
        if (allowedNodes.isEmpty()) {
            LOG.log(System.Logger.Level.WARNING, "the allowed memory nodes " + allowed.mems().orElse(IdSet.empty())
                    + " (" + allowed.source() + ") hold no online node " + nodeIds + "; treating all as allowed");
            allowedNodes = nodeIds;
        }
        Map<Integer, Integer> nodeOfCpu = new HashMap<>();
        for (NumaNode n : nodes) {
            for (int cpu : n.cpus().toArray()) {
                nodeOfCpu.putIfAbsent(cpu, n.id());
            }
        }
        List<Cpu> cpus = new ArrayList<>();
        for (int id : cpuScan.present().union(online).toArray()) {
            CpuReader.Placement p = cpuScan.placements().get(id);
            boolean isOnline = p != null;
            cpus.add(new Cpu(id, nodeOfCpu.getOrDefault(id, -1),
                    isOnline ? p.packageIndex() : -1, isOnline ? p.die() : -1, isOnline ? p.core() : -1,
                    isOnline ? p.siblings() : IdSet.empty(), isOnline ? p.l3Group() : -1,
                    isOnline, allowedCpus.contains(id)));
        }
        return new Topology(numa, nodes, cpus, distances, allowedCpus, allowedNodes, allowed.source(),
                PciReader.devices(fs), PciReader.accelerators(fs));
    }

    /** Nodes keep only online CPUs: cpulists may name offline or absent ones. */
    private static List<NumaNode> nodes(NodeReader.NodeScan scan, IdSet online) {
        List<NumaNode> nodes = new ArrayList<>();
        for (NodeReader.RawNode raw : scan.nodes()) {
            nodes.add(new NumaNode(raw.id(), raw.cpus().intersect(online), raw.memTotalBytes(), raw.memFreeBytes(),
                    raw.hugepages()));
        }
        return nodes;
    }

    /** No NUMA information: one node 0 with every allowed CPU and the machine's memory. */
    private static NumaNode wholeMachine(SysFs fs, IdSet cpus) {
        LOG.log(System.Logger.Level.DEBUG, "no NUMA nodes under " + fs.path("sys/devices/system/node")
                + "; treating the machine as one node 0");
        Map<String, Long> meminfo = fs.read("proc/meminfo")
                .map(text -> MeminfoParser.parse(fs, "proc/meminfo", text)).orElse(Map.of());
        long total = meminfo.getOrDefault("MemTotal", 0L);
        long free = Math.min(total, meminfo.getOrDefault("MemFree", 0L));
        return new NumaNode(0, cpus, total, free, HugePagesReader.read(fs, "sys/kernel/mm/hugepages"));
    }
}
