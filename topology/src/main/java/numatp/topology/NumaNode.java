package numatp.topology;

import java.util.List;

/**
 * One online NUMA node.
 *
 * @param id            the kernel's node id (ids may be sparse: 0, 1, 33, 72, ...)
 * @param cpus          the online CPUs the node owns; CPUs named by the node's cpulist
 *                      that are offline or absent are not included
 * @param memTotalBytes {@code MemTotal} of the node (0 for a CPU-only node)
 * @param memFreeBytes  {@code MemFree} of the node, at most {@code memTotalBytes}
 * @param hugepages     one entry per huge page size, ascending by size
 */
public record NumaNode(int id, IdSet cpus, long memTotalBytes, long memFreeBytes, List<HugePages> hugepages) {
    public NumaNode {
        if (id < 0 || id > IdSet.MAX_ID) {
            throw new TopologyException("node id must be in [0, " + IdSet.MAX_ID + "]: " + id);
        }
        if (cpus == null) {
            throw new TopologyException("node" + id + ": cpus must not be null");
        }
        if (memTotalBytes < 0 || memFreeBytes < 0) {
            throw new TopologyException("node" + id + ": memory must be >= 0: total=" + memTotalBytes
                    + ", free=" + memFreeBytes);
        }
        hugepages = hugepages == null ? List.of() : List.copyOf(hugepages);
    }

    public boolean hasCpus() {
        return !cpus.isEmpty();
    }

    public boolean hasMemory() {
        return memTotalBytes > 0;
    }

    /** This node with only the given CPUs kept (the allowed view). */
    public NumaNode restrictCpus(IdSet allowed) {
        return new NumaNode(id, cpus.intersect(allowed), memTotalBytes, memFreeBytes, hugepages);
    }
}
