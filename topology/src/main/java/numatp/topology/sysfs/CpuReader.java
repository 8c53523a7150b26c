package numatp.topology.sysfs;

import numatp.topology.IdSet;
import numatp.topology.TopologyException;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Reads the CPUs under {@code sys/devices/system/cpu}: which exist ({@code cpuN}
 * directories), which are online ({@code online}, else each {@code cpuN/online}), and
 * for online CPUs their core, die and package from the sibling masks
 * ({@code core_cpus}/{@code thread_siblings}, {@code die_cpus},
 * {@code package_cpus}/{@code core_siblings}) — never from {@code core_id}, which
 * repeats across packages — and their L3 group from {@code cache/indexN}.
 */
public final class CpuReader {
    static final String BASE = "sys/devices/system/cpu";
    private static final System.Logger LOG = System.getLogger(CpuReader.class.getName());

    /** Placement of one online CPU; indexes are logical (see {@link numatp.topology.Cpu}). */
    public record Placement(int packageIndex, int die, int core, IdSet siblings, int l3Group) {
    }

    /** @param present CPUs with a directory; @param online the online ones among them */
    public record CpuScan(IdSet present, IdSet online, Map<Integer, Placement> placements) {
    }

    private CpuReader() {
    }

    public static CpuScan read(SysFs fs) {
        IdSet present = fs.listIds(BASE, "cpu");
        Optional<IdSet> onlineFile = fs.readList(BASE + "/online");
        if (present.isEmpty()) {
            // Stripped container: no per-CPU directories; trust the online list alone.
            present = onlineFile.orElseThrow(() -> new TopologyException(
                    fs.path(BASE) + ": no cpuN directories and no online list; cannot find any CPU"));
        }
        IdSet online = onlineFile.map(present::intersect).orElseGet(() -> onlineByFiles(fs, presentOf(fs)));
        if (online.isEmpty()) {
            throw new TopologyException(fs.path(BASE) + ": no online CPU among " + present);
        }
        Map<Integer, IdSet> coreMasks = new HashMap<>();
        Map<Integer, IdSet> packageMasks = new HashMap<>();
        Map<Integer, IdSet> dieMasks = new HashMap<>();
        Map<Integer, Long> packageIds = new HashMap<>();
        Map<Integer, Long> coreIds = new HashMap<>();
        for (int cpu : online.toArray()) {
            String dir = BASE + "/cpu" + cpu + "/topology";
            firstOf(fs, dir, "core_cpus_list", "core_cpus", "thread_siblings_list", "thread_siblings")
                    .ifPresent(m -> coreMasks.put(cpu, m.intersect(online)));
            firstOf(fs, dir, "package_cpus_list", "package_cpus", "core_siblings_list", "core_siblings")
                    .ifPresent(m -> packageMasks.put(cpu, m.intersect(online)));
            firstOf(fs, dir, "die_cpus_list", "die_cpus", null, null)
                    .ifPresent(m -> dieMasks.put(cpu, m.intersect(online)));
            fs.readLong(dir + "/physical_package_id").ifPresent(id -> packageIds.put(cpu, id));
            fs.readLong(dir + "/core_id").ifPresent(id -> coreIds.put(cpu, id));
        }
        Map<Integer, IdSet> packages = group(fs, "package", online, packageMasks, packageIds);
        Map<Integer, IdSet> dies = dieMasks.isEmpty() ? packages : group(fs, "die", online, dieMasks, Map.of());
        Map<Integer, IdSet> cores = splitComputeUnits(group(fs, "core", online, coreMasks, Map.of()), coreIds);
        Map<Integer, Integer> packageIndex = CpuGroups.number(packages);
        Map<Integer, Integer> dieIndex = CpuGroups.number(dies);
        Map<Integer, Integer> coreIndex = CpuGroups.number(cores);
        Map<Integer, Placement> placements = new HashMap<>();
        for (int cpu : online.toArray()) {
            placements.put(cpu, new Placement(packageIndex.get(cpu), dieIndex.get(cpu), coreIndex.get(cpu),
                    cores.get(cpu), l3Group(fs, cpu, online)));
        }
        return new CpuScan(present, online, placements);
    }

    private static IdSet presentOf(SysFs fs) {
        return fs.listIds(BASE, "cpu");
    }

    private static IdSet onlineByFiles(SysFs fs, IdSet present) {
        IdSet online = IdSet.empty();
        for (int cpu : present.toArray()) {
            String file = BASE + "/cpu" + cpu + "/online";
            // Absent (cpu0 often has none) or empty (some captures) means online.
            String text = fs.readLine(file).orElse("");
            long flag = text.isEmpty() ? 1 : fs.parseLong(text, file);
            if (flag != 0 && flag != 1) {
                throw fs.malformed(file, Long.toString(flag), "0 or 1");
            }
            if (flag == 1) {
                online = online.union(IdSet.of(cpu));
            }
        }
        return online;
    }

    private static Optional<IdSet> firstOf(SysFs fs, String dir, String list1, String mask1, String list2,
                                           String mask2) {
        Optional<IdSet> first = fs.readListOrMask(dir + "/" + list1, dir + "/" + mask1);
        if (first.isPresent() || list2 == null) {
            return first;
        }
        return fs.readListOrMask(dir + "/" + list2, dir + "/" + mask2);
    }

    private static Map<Integer, IdSet> group(SysFs fs, String what, IdSet online, Map<Integer, IdSet> masks,
                                             Map<Integer, Long> fallbackKeys) {
        if (masks.isEmpty()) {
            // No topology directories: each CPU is its own core and package.
            Map<Integer, IdSet> alone = new HashMap<>();
            for (int cpu : online.toArray()) {
                alone.put(cpu, IdSet.of(cpu));
            }
            return alone;
        }
        if (masks.size() == online.size() && CpuGroups.consistent(online, masks)) {
            return masks;
        }
        boolean keysUsable = fallbackKeys.size() == online.size()
                && fallbackKeys.values().stream().allMatch(k -> k >= 0);
        LOG.log(System.Logger.Level.WARNING, fs.path(BASE) + ": the " + what + " sibling masks conflict; grouping "
                + what + "s by " + (keysUsable ? "physical_package_id" : "merging overlapping masks"));
        return keysUsable ? CpuGroups.byKey(online, fallbackKeys) : CpuGroups.merged(online, masks);
    }

    /**
     * AMD compute units (Bulldozer) list two cores as thread siblings but give them
     * distinct core_ids; like hwloc, each such CPU is its own core.
     */
    private static Map<Integer, IdSet> splitComputeUnits(Map<Integer, IdSet> cores, Map<Integer, Long> coreIds) {
        Map<Integer, IdSet> result = new HashMap<>(cores);
        for (Map.Entry<Integer, IdSet> e : cores.entrySet()) {
            IdSet group = e.getValue();
            if (group.size() < 2) {
                continue;
            }
            long distinct = group.stream().mapToObj(coreIds::get).distinct().count();
            boolean allKnown = group.stream().allMatch(coreIds::containsKey);
            if (allKnown && distinct == group.size()) {
                result.put(e.getKey(), IdSet.of(e.getKey()));
            }
        }
        return result;
    }

    private static int l3Group(SysFs fs, int cpu, IdSet online) {
        String cacheDir = BASE + "/cpu" + cpu + "/cache";
        for (String index : fs.list(cacheDir)) {
            if (!index.startsWith("index")) {
                continue;
            }
            String dir = cacheDir + "/" + index;
            Optional<Long> level = fs.readLong(dir + "/level");
            if (level.isPresent() && level.get() == 3) {
                Optional<IdSet> shared = fs.readListOrMask(dir + "/shared_cpu_list", dir + "/shared_cpu_map");
                if (shared.isPresent()) {
                    IdSet usable = shared.get().intersect(online);
                    return usable.isEmpty() ? cpu : usable.first();
                }
            }
        }
        return -1;
    }
}
