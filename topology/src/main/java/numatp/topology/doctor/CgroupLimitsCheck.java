package numatp.topology.doctor;

import numatp.topology.IdSet;
import numatp.topology.NumaNode;
import numatp.topology.linux.CgroupPath;
import numatp.topology.memory.Sizes;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The cgroup v2 limits of this process and its parents: {@code cpu.max} (a CPU quota below
 * the planned threads throttles them; below one CPU per shard, shards are descheduled inside
 * an allreduce and the others spin until the collective timeout), {@code memory.max} (the
 * planner counts node memory, the cgroup OOM killer counts this limit), and the cpuset
 * (read by the topology detector: CPUs of the planned nodes the cgroup leaves out).
 */
final class CgroupLimitsCheck implements HostCheck {
    static final String ID = "cgroup-limits";
    private static final String TITLE = "cgroup CPU and memory limits";

    @Override
    public String id() {
        return ID;
    }

    @Override
    public Finding check(DoctorInput input) {
        Readiness level = Readiness.OK;
        List<String> found = new ArrayList<>();
        List<String> fixes = new ArrayList<>();
        Optional<String> path = CgroupPath.of(input.files());
        if (path.isEmpty()) {
            found.add("no cgroup v2 path in /proc/self/cgroup (cgroup v1, or not captured): cpu.max and memory.max"
                    + " not checked");
            level = Readiness.UNKNOWN;
        } else {
            String where = path.get().isEmpty() ? "/" : path.get();
            double quotaCpus = cpuQuota(input, path.get());
            int threads = input.plannedCpus().size();
            if (quotaCpus < 0) {
                found.add("no CPU quota (" + where + ")");
            } else {
                String q = String.format(Locale.ROOT, "cpu.max allows %.2f CPUs for %d planned threads (%s)",
                        quotaCpus, threads, where);
                if (quotaCpus < input.shards()) {
                    level = level.worst(Readiness.FAIL);
                    found.add(q + ": less than one CPU per shard, shards stall inside the allreduce");
                    fixes.add("raise CPUQuota= to " + threads * 100 + "% (systemctl set-property <unit> CPUQuota=...)"
                            + " or remove it");
                } else if (quotaCpus < threads) {
                    level = level.worst(Readiness.WARN);
                    found.add(q + ": the threads are throttled");
                    fixes.add("raise CPUQuota= to " + threads * 100 + "%, or plan fewer threads (--threads-per-shard)");
                } else {
                    found.add(q);
                }
            }
            long memoryMax = memoryMax(input, path.get());
            long planned = plannedNodeMemory(input);
            if (memoryMax < 0) {
                found.add("no memory limit");
            } else if (memoryMax < planned) {
                level = level.worst(Readiness.WARN);
                found.add("memory.max " + Sizes.format(memoryMax) + " is below the free memory of the planned nodes (" + Sizes.format(planned) + ")"
                        + ": the plan counts node memory, the cgroup OOM killer counts this limit");
                fixes.add("check that model + KV cache fit below " + Sizes.format(memoryMax)
                        + " (tp plan --model ...), or raise MemoryMax=");
            } else {
                found.add("memory.max " + Sizes.format(memoryMax));
            }
        }
        IdSet nodeCpus = IdSet.empty();
        for (NumaNode n : input.topology().nodes()) {
            if (input.plannedNodes().contains(n.id())) {
                nodeCpus = nodeCpus.union(n.cpus());
            }
        }
        IdSet online = input.topology().complete().cpuIds();
        IdSet left = nodeCpus.intersect(online).minus(input.topology().allowedCpus());
        if (!left.isEmpty()) {
            level = level.worst(Readiness.WARN);
            found.add("the cpuset leaves out CPUs " + left.toListString() + " of the planned nodes ("
                    + input.topology().allowedSource() + ")");
            fixes.add("widen AllowedCPUs= / --cpuset-cpus to the planned nodes' CPUs, or plan for the allowed ones");
        } else {
            found.add("cpuset allows every CPU of the planned nodes");
        }
        if (level == Readiness.UNKNOWN && left.isEmpty()) {
            return Finding.unknown(ID, TITLE, String.join("; ", found));
        }
        return new Finding(ID, TITLE, level, String.join("; ", found), String.join("; ", fixes));
    }

    /** The smallest {@code cpu.max} quota in CPUs along the path to the root; -1 when none limits. */
    private static double cpuQuota(DoctorInput input, String path) {
        double smallest = -1;
        for (String dir : ancestors(path)) {
            Optional<String> max = input.files().read("sys/fs/cgroup" + dir + "/cpu.max");
            if (max.isEmpty()) {
                continue;
            }
            String[] f = max.get().trim().split("\\s+");
            if (f.length == 2 && digits(f[0]) && digits(f[1]) && Long.parseLong(f[1]) > 0) {
                double cpus = (double) Long.parseLong(f[0]) / Long.parseLong(f[1]);
                smallest = smallest < 0 ? cpus : Math.min(smallest, cpus);
            }
        }
        return smallest;
    }

    /** The smallest {@code memory.max} along the path to the root; -1 when none limits. */
    private static long memoryMax(DoctorInput input, String path) {
        long smallest = -1;
        for (String dir : ancestors(path)) {
            Optional<String> max = input.files().read("sys/fs/cgroup" + dir + "/memory.max").filter(CgroupLimitsCheck::digits);
            if (max.isPresent()) {
                long bytes = Long.parseLong(max.get());
                smallest = smallest < 0 ? bytes : Math.min(smallest, bytes);
            }
        }
        return smallest;
    }

    private static long plannedNodeMemory(DoctorInput input) {
        long total = 0;
        for (NumaNode n : input.topology().nodes()) {
            if (input.plannedNodes().contains(n.id())) {
                total += n.memFreeBytes();
            }
        }
        return total;
    }

    /** {@code /a/b} gives {@code /a/b}, {@code /a}, {@code ""} (the root). */
    private static List<String> ancestors(String path) {
        List<String> out = new ArrayList<>();
        String p = path;
        while (!p.isEmpty()) {
            out.add(p);
            int slash = p.lastIndexOf('/');
            p = slash > 0 ? p.substring(0, slash) : "";
        }
        out.add("");
        return out;
    }

    private static boolean digits(String s) {
        return !s.isEmpty() && s.length() < 19 && s.chars().allMatch(Character::isDigit);
    }
}
