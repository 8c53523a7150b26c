package numatp.topology;

/**
 * One logical CPU (a hardware thread, hwloc's PU).
 *
 * <p>{@code packageIndex}, {@code die} and {@code core} are logical numbers assigned by
 * the detector, unique across the machine and numbered in the order of each group's
 * lowest CPU id; they are not the kernel's {@code physical_package_id}/{@code core_id},
 * which repeat or are -1 on some machines. They are -1 when unknown (an offline CPU
 * whose topology directory the kernel removed).
 *
 * @param id           the kernel's CPU id
 * @param node         the online NUMA node that owns this CPU, or -1 when none does
 *                     (its node is offline)
 * @param packageIndex the package (socket) this CPU is in
 * @param die          the die this CPU is in (equal to the package where the kernel shows no dies)
 * @param core         the core this CPU is in
 * @param siblings     the SMT threads of the core, this CPU included
 * @param l3Group      the lowest CPU id sharing this CPU's L3 cache, or -1 when unknown
 * @param online       whether the CPU is online
 * @param allowed      whether this process may run on it (cgroup cpuset and affinity)
 */
public record Cpu(int id, int node, int packageIndex, int die, int core, IdSet siblings, int l3Group,
                  boolean online, boolean allowed) {
    public Cpu {
        if (id < 0 || id > IdSet.MAX_ID) {
            throw new TopologyException("cpu id must be in [0, " + IdSet.MAX_ID + "]: " + id);
        }
        if (node < -1 || packageIndex < -1 || die < -1 || core < -1 || l3Group < -1) {
            throw new TopologyException("cpu" + id + ": node/package/die/core/l3 must be >= -1: " + node
                    + "/" + packageIndex + "/" + die + "/" + core + "/" + l3Group);
        }
        if (siblings == null) {
            siblings = IdSet.empty();
        }
        if (online && !siblings.contains(id)) {
            throw new TopologyException("cpu" + id + ": siblings " + siblings + " do not contain the cpu itself");
        }
        if (allowed && !online) {
            throw new TopologyException("cpu" + id + ": an offline cpu cannot be allowed");
        }
    }
}
