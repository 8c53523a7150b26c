package numatp.topology.doctor;

import numatp.topology.Cpu;
import numatp.topology.Distances;
import numatp.topology.IdSet;
import numatp.topology.NumaNode;
import numatp.topology.Topology;
import numatp.topology.linux.KernelFiles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A host that passes every check, written as sysfs/procfs files under a temp directory:
 * two nodes of two 2-thread cores each (node 0: CPUs 0-3, node 1: 4-7; siblings 0/1, 2/3,
 * 4/5, 6/7), planned on one thread per core (0,2,4,6). Tests break one file at a time.
 */
final class FakeHost {
    static final IdSet PLANNED = IdSet.of(0, 2, 4, 6);
    static final int SELF_PID = 4242;

    private final Path root;
    private final List<Runnable> betweenSamples = new ArrayList<>();

    FakeHost(Path root) {
        this.root = root;
        for (int c = 0; c < 8; c++) {
            write("sys/devices/system/cpu/cpu" + c + "/cpufreq/scaling_governor", "performance\n");
        }
        write("sys/devices/system/cpu/smt/active", "1\n");
        write("proc/sys/kernel/numa_balancing", "0\n");
        write("sys/kernel/mm/transparent_hugepage/enabled", "always [madvise] never\n");
        write("sys/kernel/mm/transparent_hugepage/defrag", "always defer defer+madvise [madvise] never\n");
        for (int n = 0; n < 2; n++) {
            write("sys/devices/system/node/node" + n + "/hugepages/hugepages-2048kB/nr_hugepages", "0\n");
            write("sys/devices/system/node/node" + n + "/hugepages/hugepages-2048kB/free_hugepages", "0\n");
        }
        write("proc/swaps", "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
        write("proc/meminfo", "MemTotal:       32768000 kB\nSwapTotal:             0 kB\nSwapFree:              0 kB\n");
        write("proc/sys/vm/swappiness", "60\n");
        write("proc/interrupts", "           CPU0       CPU1       CPU2       CPU3       CPU4       CPU5       CPU6"
                + "       CPU7\n"
                + "  0:         40          0          0          0          0          0          0          0"
                + "   IO-APIC   2-edge      timer\n"
                + " 24:          0          0          0          0          0          0          0       9000"
                + "  PCI-MSI 524288-edge      eth0\n"
                + "LOC:      10000      10000      10000      10000      10000      10000      10000      10000"
                + "   Local timer interrupts\n");
        write("proc/irq/0/smp_affinity_list", "0\n");
        write("proc/irq/24/smp_affinity_list", "7\n");
        write("proc/self/cgroup", "0::/system.slice/tp.service\n");
        write("sys/fs/cgroup/system.slice/tp.service/cpu.max", "max 100000\n");
        write("sys/fs/cgroup/system.slice/tp.service/memory.max", "max\n");
        stat(0);
        process(SELF_PID, "java", 5000, 0);
        process(1, "systemd", 100, 3);
    }

    /** {@code /proc/stat} with {@code steal} ticks of steal per CPU and 10000 other ticks. */
    FakeHost stat(long steal) {
        StringBuilder s = new StringBuilder("cpu  0 0 0 0 0 0 0 0 0 0\n");
        for (int c = 0; c < 8; c++) {
            s.append("cpu").append(c).append(" 4000 0 1000 ").append(5000 - steal).append(" 0 0 0 ").append(steal)
                    .append(" 0 0\n");
        }
        s.append("intr 0\nctxt 0\n");
        return write("proc/stat", s.toString());
    }

    /** {@code /proc/PID/stat} with {@code ticks} of utime+stime, last run on {@code cpu}. */
    FakeHost process(long pid, String name, long ticks, int cpu) {
        StringBuilder s = new StringBuilder().append(pid).append(" (").append(name).append(") R 1 1 1 0 -1 4194560 0 0 0"
                + " 0 ").append(ticks).append(" 0");
        for (int field = 16; field <= 38; field++) {
            s.append(" 0");
        }
        s.append(' ').append(cpu).append(" 0 0 0 0 0\n");
        return write("proc/" + pid + "/stat", s.toString());
    }

    /** Runs {@code change} between the two samples (instead of sleeping). */
    FakeHost betweenSamples(Runnable change) {
        betweenSamples.add(change);
        return this;
    }

    FakeHost write(String relative, String content) {
        try {
            Path file = root.resolve(relative);
            Files.createDirectories(file.getParent());
            Files.writeString(file, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    FakeHost delete(String relative) {
        try {
            Files.deleteIfExists(root.resolve(relative));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    KernelFiles files() {
        return new KernelFiles(root);
    }

    static Topology topology() {
        List<Cpu> cpus = new ArrayList<>();
        for (int c = 0; c < 8; c++) {
            int core = c / 2;
            cpus.add(new Cpu(c, c / 4, c / 4, c / 4, core, IdSet.of(core * 2, core * 2 + 1), c / 4 * 4, true, true));
        }
        List<NumaNode> nodes = List.of(
                new NumaNode(0, IdSet.range(0, 3), 16L << 30, 12L << 30, List.of()),
                new NumaNode(1, IdSet.range(4, 7), 16L << 30, 12L << 30, List.of()));
        return new Topology(true, nodes, cpus, Distances.uniform(new int[]{0, 1}), IdSet.range(0, 7), IdSet.of(0, 1),
                "test", List.of(), Map.of());
    }

    DoctorInput input(IdSet planned, int shards) {
        try {
            Samples samples = Samples.take(files(), Duration.ofSeconds(1), interval -> betweenSamples.forEach(Runnable::run));
            return new DoctorInput(files(), topology(), planned, IdSet.of(0, 1), shards, SELF_PID, samples);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    DoctorInput input() {
        return input(PLANNED, 4);
    }

    Finding finding(String id) {
        return find(Doctor.standard().run(input(), root.toString()), id);
    }

    static Finding find(DoctorReport report, String id) {
        return report.findings().stream().filter(f -> f.id().equals(id)).findFirst()
                .orElseThrow(() -> new AssertionError("no finding " + id + " in " + report.toText()));
    }
}
