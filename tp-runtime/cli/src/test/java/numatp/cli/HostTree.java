package numatp.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A small host as sysfs/procfs files, tuned for serving: what tp doctor and tp serve --topology-root read. */
final class HostTree {
    private HostTree() {
    }

    /** Two nodes of two single-thread cores (CPUs 0-1 and 2-3), tuned for serving. */
    static void write(Path root) {
        write(root, "sys/devices/system/cpu/online", "0-3\n");
        write(root, "sys/devices/system/cpu/possible", "0-3\n");
        write(root, "sys/devices/system/cpu/smt/active", "0\n");
        for (int c = 0; c < 4; c++) {
            String dir = "sys/devices/system/cpu/cpu" + c + "/";
            write(root, dir + "online", "1\n");
            write(root, dir + "topology/core_cpus_list", c + "\n");
            write(root, dir + "topology/thread_siblings_list", c + "\n");
            write(root, dir + "topology/package_cpus_list", (c < 2 ? "0-1" : "2-3") + "\n");
            write(root, dir + "topology/physical_package_id", c / 2 + "\n");
            write(root, dir + "topology/core_id", c + "\n");
            write(root, dir + "cpufreq/scaling_governor", "performance\n");
        }
        write(root, "sys/devices/system/node/online", "0-1\n");
        write(root, "sys/devices/system/node/possible", "0-1\n");
        write(root, "sys/devices/system/node/has_memory", "0-1\n");
        for (int n = 0; n < 2; n++) {
            String dir = "sys/devices/system/node/node" + n + "/";
            write(root, dir + "cpulist", (n == 0 ? "0-1" : "2-3") + "\n");
            write(root, dir + "distance", n == 0 ? "10 21\n" : "21 10\n");
            write(root, dir + "meminfo", "Node " + n + " MemTotal: 8388608 kB\nNode " + n + " MemFree: 6291456 kB\n");
            write(root, dir + "hugepages/hugepages-2048kB/nr_hugepages", "0\n");
            write(root, dir + "hugepages/hugepages-2048kB/free_hugepages", "0\n");
        }
        write(root, "proc/sys/kernel/numa_balancing", "0\n");
        write(root, "sys/kernel/mm/transparent_hugepage/enabled", "always [madvise] never\n");
        write(root, "sys/kernel/mm/transparent_hugepage/defrag", "[madvise] never\n");
        write(root, "proc/swaps", "Filename Type Size Used Priority\n");
        write(root, "proc/meminfo", "MemTotal: 16777216 kB\nMemAvailable: 12582912 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\n");
        write(root, "proc/interrupts", "      CPU0  CPU1  CPU2  CPU3\n 24:  0  0  0  0  PCI-MSI eth0\n");
        write(root, "proc/irq/24/smp_affinity_list", "0-3\n");
        write(root, "proc/self/cgroup", "0::/tp.service\n");
        write(root, "proc/mounts", "cgroup2 /sys/fs/cgroup cgroup2 rw 0 0\n");
        write(root, "sys/fs/cgroup/tp.service/cpu.max", "max 100000\n");
        write(root, "sys/fs/cgroup/tp.service/memory.max", "max\n");
        write(root, "sys/fs/cgroup/tp.service/cpuset.cpus.effective", "0-3\n");
        write(root, "sys/fs/cgroup/tp.service/cpuset.mems.effective", "0-1\n");
        write(root, "proc/stat", "cpu0 100 0 0 900 0 0 0 0\ncpu1 100 0 0 900 0 0 0 0\ncpu2 100 0 0 900 0 0 0 0\n"
                + "cpu3 100 0 0 900 0 0 0 0\n");
    }

    static void write(Path root, String relative, String text) {
        try {
            Path file = root.resolve(relative);
            Files.createDirectories(file.getParent());
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

}
