package numatp.topology.sysfs;

import numatp.topology.Distances;
import numatp.topology.HugePages;
import numatp.topology.IdSet;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads the NUMA nodes under {@code sys/devices/system/node}: which are online
 * ({@code online}, else the {@code nodeN} directories), each node's cpulist, meminfo
 * and huge pages, and the SLIT distance rows. GPU memory exposed as NUMA nodes by the
 * NVIDIA driver ({@code /proc/driver/nvidia/gpus/*}{@code /numa_status}) is left out,
 * as hwloc does: it is not memory to place weights in.
 */
public final class NodeReader {
    static final String BASE = "sys/devices/system/node";
    private static final System.Logger LOG = System.getLogger(NodeReader.class.getName());

    /** One node as the kernel lists it; {@code cpus} is the raw cpulist. */
    public record RawNode(int id, IdSet cpus, long memTotalBytes, long memFreeBytes, List<HugePages> hugepages) {
    }

    /** The nodes read and their distances; {@code nodes} ascending by id. */
    public record NodeScan(List<RawNode> nodes, Distances distances) {
    }

    private NodeReader() {
    }

    /** Empty when the kernel exposes no NUMA nodes at all. */
    public static Optional<NodeScan> read(SysFs fs) {
        if (!fs.isDirectory(BASE)) {
            return Optional.empty();
        }
        IdSet online = fs.readList(BASE + "/online").orElseGet(() -> fs.listIds(BASE, "node"));
        if (online.isEmpty()) {
            return Optional.empty();
        }
        IdSet gpuNodes = NvidiaGpuNodes.read(fs).intersect(online);
        if (!gpuNodes.isEmpty()) {
            LOG.log(System.Logger.Level.DEBUG, "ignoring NVIDIA GPU memory nodes " + gpuNodes);
        }
        List<RawNode> nodes = new ArrayList<>();
        for (int id : online.minus(gpuNodes).toArray()) {
            String dir = BASE + "/node" + id;
            if (!fs.isDirectory(dir)) {
                LOG.log(System.Logger.Level.WARNING, fs.path(BASE + "/online") + " lists node " + id
                        + " but " + fs.path(dir) + " is missing; ignoring the node");
                continue;
            }
            nodes.add(readNode(fs, id, dir));
        }
        if (nodes.isEmpty()) {
            return Optional.empty();
        }
        int[] ids = nodes.stream().mapToInt(RawNode::id).toArray();
        Distances distances = readDistances(fs, online, ids);
        return Optional.of(new NodeScan(nodes, distances));
    }

    private static RawNode readNode(SysFs fs, int id, String dir) {
        IdSet cpus = fs.readListOrMask(dir + "/cpulist", dir + "/cpumap").orElse(IdSet.empty());
        long total = 0;
        long free = 0;
        Optional<String> meminfo = fs.read(dir + "/meminfo");
        if (meminfo.isPresent()) {
            Map<String, Long> values = MeminfoParser.parse(fs, dir + "/meminfo", meminfo.get());
            total = values.getOrDefault("MemTotal", 0L);
            free = Math.min(total, values.getOrDefault("MemFree", 0L));
        }
        return new RawNode(id, cpus, total, free, HugePagesReader.read(fs, dir + "/hugepages"));
    }

    /**
     * Row {@code nodeN/distance} has one entry per online node, by position among the
     * online nodes (not by node id). Any missing or malformed row gives the uniform
     * 10/20 matrix and a warning.
     */
    static Distances readDistances(SysFs fs, IdSet online, int[] kept) {
        int[] onlineIds = online.toArray();
        int[][] full = new int[onlineIds.length][];
        for (int i = 0; i < onlineIds.length; i++) {
            String file = BASE + "/node" + onlineIds[i] + "/distance";
            Optional<String> row = fs.readLine(file);
            String problem = row.isEmpty() ? "is missing" : null;
            if (row.isPresent()) {
                full[i] = parseRow(row.get(), onlineIds.length);
                if (full[i] == null) {
                    problem = "is malformed: '" + row.get() + "' (expected " + onlineIds.length
                            + " positive distances, one per online node " + online + ")";
                }
            }
            if (problem != null) {
                LOG.log(System.Logger.Level.WARNING, fs.path(file) + " " + problem
                        + "; using distance 10 local, 20 remote");
                return Distances.uniform(kept);
            }
        }
        return new Distances(onlineIds, full).restrictTo(IdSet.of(kept));
    }

    private static int[] parseRow(String line, int expected) {
        String[] parts = line.trim().split("\\s+");
        if (parts.length != expected) {
            return null;
        }
        int[] row = new int[expected];
        for (int i = 0; i < expected; i++) {
            if (!parts[i].matches("[0-9]{1,6}")) {
                return null;
            }
            row[i] = Integer.parseInt(parts[i]);
            if (row[i] <= 0) {
                return null;
            }
        }
        return row;
    }
}
