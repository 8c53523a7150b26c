package numatp.topology.diagnostics;

import numatp.topology.IdSet;
import numatp.topology.linux.CgroupPath;
import numatp.topology.linux.KernelFiles;
import numatp.topology.linux.LinuxNuma;
import numatp.topology.linux.PolicySupport;
import numatp.topology.memory.Sizes;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static numatp.topology.diagnostics.CheckItem.Status.INFO;
import static numatp.topology.diagnostics.CheckItem.Status.OK;
import static numatp.topology.diagnostics.CheckItem.Status.WARN;

/**
 * The settings that decide whether NUMA binding works and pays off: native calls, memory-policy
 * permission, automatic NUMA balancing, transparent huge pages, reserved huge pages per node, and
 * cgroup limits. Each item carries a one-line recommendation.
 */
public final class SystemCheck {
    private static final String THP_FILE = "sys/kernel/mm/transparent_hugepage/enabled";
    private static final String BALANCING_FILE = "proc/sys/kernel/numa_balancing";

    private final LinuxNuma numa;
    private final KernelFiles files;

    public SystemCheck(LinuxNuma numa, KernelFiles files) {
        this.numa = numa;
        this.files = files;
    }

    public static SystemReport run() {
        return new SystemCheck(LinuxNuma.system(), KernelFiles.system()).report();
    }

    public SystemReport report() {
        List<CheckItem> items = new ArrayList<>();
        items.add(nativeCalls());
        items.add(memoryPolicy());
        items.add(nodes());
        items.add(numaBalancing());
        items.add(transparentHugePages());
        items.addAll(hugetlbPerNode());
        items.addAll(cgroup());
        return new SystemReport(items);
    }

    private CheckItem nativeCalls() {
        return numa.isNative()
                ? new CheckItem("native calls", OK, numa.description(), "")
                : new CheckItem("native calls", WARN, numa.description(), "run on Linux x86_64/aarch64 with JNA available");
    }

    private CheckItem memoryPolicy() {
        PolicySupport support = PolicySupport.probe(numa);
        return support.permitted()
                ? new CheckItem("memory-policy calls", OK, "permitted", "")
                : new CheckItem("memory-policy calls", WARN, "refused: " + support.detail(), support.recommendation());
    }

    private CheckItem nodes() {
        IdSet online = files.onlineNodes();
        IdSet withMemory = files.nodesWithMemory();
        IdSet cpuless = IdSet.empty();
        for (int n = online.first(); n >= 0; n = online.next(n + 1)) {
            if (files.nodeCpus(n).map(IdSet::isEmpty).orElse(true)) {
                cpuless = cpuless.union(IdSet.of(n));
            }
        }
        String value = online.size() + " online (" + online + ")"
                + (cpuless.isEmpty() ? "" : ", without CPUs: " + cpuless)
                + (withMemory.equals(online) ? "" : ", with memory: " + withMemory);
        return new CheckItem("numa nodes", online.size() > 1 ? OK : INFO, value,
                online.size() > 1 ? "" : "one node: binding is harmless but cannot improve locality");
    }

    private CheckItem numaBalancing() {
        Optional<String> value = files.read(BALANCING_FILE);
        if (value.isEmpty()) {
            return new CheckItem("numa balancing", OK, "not available in this kernel", "");
        }
        if (value.get().equals("0")) {
            return new CheckItem("numa balancing", OK, "off (0)", "");
        }
        return new CheckItem("numa balancing", WARN, "on (" + value.get() + "): the kernel migrates pages and threads",
                "echo 0 | sudo tee /" + BALANCING_FILE + " (bound memory may otherwise move)");
    }

    private CheckItem transparentHugePages() {
        Optional<String> text = files.read(THP_FILE);
        if (text.isEmpty()) {
            return new CheckItem("transparent huge pages", INFO, "not available", "");
        }
        String mode = selected(text.get());
        return switch (mode) {
            case "always", "madvise" -> new CheckItem("transparent huge pages", OK, mode, "");
            default -> new CheckItem("transparent huge pages", WARN, mode,
                    "echo madvise | sudo tee /" + THP_FILE + " (--hugepages thp needs it)");
        };
    }

    /** The bracketed choice of a sysfs selector like {@code always [madvise] never}. */
    static String selected(String text) {
        int open = text.indexOf('[');
        int close = text.indexOf(']', open + 1);
        return open >= 0 && close > open ? text.substring(open + 1, close) : text.strip();
    }

    private List<CheckItem> hugetlbPerNode() {
        List<CheckItem> items = new ArrayList<>();
        IdSet nodes = files.nodesWithMemory();
        for (int n = nodes.first(); n >= 0; n = nodes.next(n + 1)) {
            String dir = "sys/devices/system/node/node" + n + "/hugepages/hugepages-2048kB/";
            Optional<String> total = files.read(dir + "nr_hugepages");
            Optional<String> free = files.read(dir + "free_hugepages");
            if (total.isEmpty() || free.isEmpty()) {
                continue;
            }
            boolean none = total.get().equals("0");
            items.add(new CheckItem("hugetlb pages node " + n, INFO, free.get() + " of " + total.get() + " free (2 MiB)",
                    none ? "only for --hugepages hugetlb: echo <count> | sudo tee /" + dir + "nr_hugepages" : ""));
        }
        return items;
    }

    private List<CheckItem> cgroup() {
        List<CheckItem> items = new ArrayList<>();
        Optional<String> path = CgroupPath.of(files);
        if (path.isEmpty()) {
            items.add(new CheckItem("cgroup", INFO, "no cgroup v2 path in /proc/self/cgroup", ""));
            return items;
        }
        String dir = "sys/fs/cgroup" + path.get() + "/";
        String where = path.get().isEmpty() ? "/" : path.get();
        Optional<String> max = files.read(dir + "memory.max");
        if (max.isPresent()) {
            if (max.get().equals("max")) {
                items.add(new CheckItem("cgroup memory", OK, "no limit (" + where + ")", ""));
            } else {
                String shown = max.get();
                try {
                    shown = Sizes.format(Long.parseLong(max.get()));
                } catch (NumberFormatException e) {
                    // keep the raw text
                }
                items.add(new CheckItem("cgroup memory", INFO, "limit " + shown + " (" + where + ")",
                        "model, KV cache and buffers must fit below it, or the cgroup OOM killer ends the process"));
            }
        }
        files.read(dir + "cpuset.mems.effective").filter(s -> !s.isEmpty()).ifPresent(mems ->
                items.add(new CheckItem("cgroup cpuset mems", INFO, mems, "")));
        files.read(dir + "cpuset.cpus.effective").filter(s -> !s.isEmpty()).ifPresent(cpus ->
                items.add(new CheckItem("cgroup cpuset cpus", INFO, cpus, "")));
        return items;
    }
}
