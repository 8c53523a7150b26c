package numatp.topology;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A randomly generated machine that {@link SysfsTreeWriter} turns into a sysfs/procfs
 * tree: 1-16 nodes with sparse ids, SMT on/off, blocked or interleaved CPU numbering,
 * memory-less and CPU-less nodes, offline CPUs still named by their node's cpulist,
 * SLIT distances (sometimes missing or malformed), cgroup v1/v2 restrictions, and
 * sometimes one malformed file that detection must reject by name.
 */
record TopologySpec(long seed, int[] nodeIds, long[] memKb, int[] nodeOfCpu, int[] packageOfCpu, int[] coreOfCpu,
                    IdSet offline, int[][] distances, DistanceFault distanceFault, int cgroupVersion,
                    IdSet cgroupCpus, IdSet cgroupMems, Fault fault) {

    enum DistanceFault { NONE, MISSING, MALFORMED }

    /** A malformed file and the text its error message must name. */
    enum Fault {
        NONE(null), NODE_CPULIST("/cpulist"), NODE_MEMINFO("/meminfo"), CORE_MASK("core_cpus_list"),
        CGROUP_CPUS("cpus"), HUGEPAGES("nr_hugepages"), CPU_ONLINE("cpu/online");

        final String named;

        Fault(String named) {
            this.named = named;
        }
    }

    int cpuCount() {
        return nodeOfCpu.length;
    }

    IdSet online() {
        return IdSet.range(0, cpuCount() - 1).minus(offline);
    }

    IdSet cpusOfNode(int node) {
        List<Integer> ids = new ArrayList<>();
        for (int c = 0; c < cpuCount(); c++) {
            if (nodeOfCpu[c] == node) {
                ids.add(c);
            }
        }
        return IdSet.of(ids.stream().mapToInt(Integer::intValue).toArray());
    }

    IdSet siblingsOf(int cpu) {
        List<Integer> ids = new ArrayList<>();
        for (int c = 0; c < cpuCount(); c++) {
            if (coreOfCpu[c] == coreOfCpu[cpu]) {
                ids.add(c);
            }
        }
        return IdSet.of(ids.stream().mapToInt(Integer::intValue).toArray());
    }

    IdSet allowedCpus() {
        return cgroupVersion == 0 ? online() : online().intersect(cgroupCpus);
    }

    IdSet allowedNodes() {
        IdSet all = IdSet.of(nodeIds);
        return cgroupVersion == 0 ? all : all.intersect(cgroupMems);
    }

    static TopologySpec generate(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int nodeCount = 1 + rnd.nextInt(16);
        int[] nodeIds = rnd.nextBoolean() ? IdSet.range(0, nodeCount - 1).toArray() : sparseIds(rnd, nodeCount);
        boolean[] hasCpus = new boolean[nodeCount];
        long[] memKb = new long[nodeCount];
        for (int i = 0; i < nodeCount; i++) {
            hasCpus[i] = i == 0 || rnd.nextInt(5) != 0;
            memKb[i] = (i > 0 && hasCpus[i] && rnd.nextInt(6) == 0) ? 0 : (1 + rnd.nextInt(1 << 20)) * 1024L;
        }
        int coresPerNode = 1 + rnd.nextInt(4);
        int smt = rnd.nextBoolean() ? 2 : 1;
        int nodesPerPackage = 1 + rnd.nextInt(2);
        boolean interleaved = rnd.nextBoolean();
        // Hardware threads as (node index, core within node, thread), then numbered.
        List<int[]> threads = new ArrayList<>();
        for (int t = 0; t < smt; t++) {
            for (int k = 0; k < coresPerNode; k++) {
                for (int i = 0; i < nodeCount; i++) {
                    if (hasCpus[i]) {
                        threads.add(new int[] {i, k, t});
                    }
                }
            }
        }
        if (!interleaved) {
            threads.sort((a, b) -> a[0] != b[0] ? a[0] - b[0] : a[1] != b[1] ? a[1] - b[1] : a[2] - b[2]);
        }
        int n = threads.size();
        int[] nodeOfCpu = new int[n];
        int[] packageOfCpu = new int[n];
        int[] coreOfCpu = new int[n];
        for (int c = 0; c < n; c++) {
            int[] th = threads.get(c);
            nodeOfCpu[c] = nodeIds[th[0]];
            packageOfCpu[c] = th[0] / nodesPerPackage;
            coreOfCpu[c] = th[0] * coresPerNode + th[1];
        }
        IdSet offline = IdSet.empty();
        if (n > 1 && rnd.nextInt(3) == 0) {
            offline = IdSet.of(1 + rnd.nextInt(n - 1));
        }
        int[][] distances = new int[nodeCount][nodeCount];
        for (int i = 0; i < nodeCount; i++) {
            for (int j = i; j < nodeCount; j++) {
                distances[i][j] = i == j ? 10 : 11 + rnd.nextInt(30);
                distances[j][i] = distances[i][j];
            }
        }
        DistanceFault distanceFault = DistanceFault.values()[rnd.nextInt(8) < 6 ? 0 : 1 + rnd.nextInt(2)];
        int cgroupVersion = rnd.nextInt(3);
        IdSet online = IdSet.range(0, n - 1).minus(offline);
        IdSet cgroupCpus = nonEmptySubset(rnd, online);
        IdSet cgroupMems = nonEmptySubset(rnd, IdSet.of(nodeIds));
        Fault fault = rnd.nextInt(4) == 0 ? Fault.values()[1 + rnd.nextInt(Fault.values().length - 1)] : Fault.NONE;
        if (fault == Fault.CGROUP_CPUS && cgroupVersion == 0) {
            fault = Fault.NONE;
        }
        return new TopologySpec(seed, nodeIds, memKb, nodeOfCpu, packageOfCpu, coreOfCpu, offline, distances,
                distanceFault, cgroupVersion, cgroupCpus, cgroupMems, fault);
    }

    private static int[] sparseIds(SplittableRandom rnd, int count) {
        IdSet ids = IdSet.empty();
        while (ids.size() < count) {
            ids = ids.union(IdSet.of(rnd.nextInt(256)));
        }
        return ids.toArray();
    }

    private static IdSet nonEmptySubset(SplittableRandom rnd, IdSet of) {
        int[] all = of.toArray();
        if (rnd.nextBoolean()) {
            return of;
        }
        IdSet subset = IdSet.of(all[rnd.nextInt(all.length)]);
        for (int id : all) {
            if (rnd.nextInt(3) == 0) {
                subset = subset.union(IdSet.of(id));
            }
        }
        return subset;
    }

    @Override
    public String toString() {
        return "TopologySpec[seed=" + seed + ", nodes=" + Arrays.toString(nodeIds) + ", cpus=" + cpuCount()
                + ", offline=" + offline + ", cgroup v" + cgroupVersion + " " + cgroupCpus + "/" + cgroupMems
                + ", distances " + distanceFault + ", fault " + fault + "]";
    }
}
