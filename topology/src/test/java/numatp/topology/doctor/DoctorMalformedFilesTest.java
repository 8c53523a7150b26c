package numatp.topology.doctor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Garbage in any file the checks read never escapes as an exception: the check answers, worst case unknown. */
class DoctorMalformedFilesTest {
    private static final List<String> FILES = List.of(
            "sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", "sys/devices/system/cpu/smt/active",
            "proc/sys/kernel/numa_balancing", "sys/kernel/mm/transparent_hugepage/enabled",
            "sys/kernel/mm/transparent_hugepage/defrag",
            "sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages",
            "sys/devices/system/node/node1/hugepages/hugepages-2048kB/free_hugepages", "proc/swaps", "proc/meminfo",
            "proc/sys/vm/swappiness", "proc/interrupts", "proc/irq/24/smp_affinity_list", "proc/self/cgroup",
            "sys/fs/cgroup/system.slice/tp.service/cpu.max", "sys/fs/cgroup/system.slice/tp.service/memory.max",
            "proc/stat", "proc/1/stat");
    private static final String[] PIECES = {"", " ", "\n", "\0", "-", "-1", "0", "1", "99999999999999999999999", "max",
        "cpu", "cpu7", "(", ")", ":", "24:", "CPU0", "[", "]", "0-", ",", "x", "0::/", "kB", "SwapTotal:", "\t", "1e9"};

    @TempDir
    Path root;

    /** Seed 12941947889010 found it: a cgroup path with a NUL byte made a Path that cannot exist (an exception). */
    @Test
    void aCgroupPathWithANulByteIsReadAsAbsent() {
        FakeHost host = new FakeHost(root.resolve("nul"));
        host.write("proc/self/cgroup", "0::/ 0-x \u0000 x0");
        assertEquals(10, Doctor.standard().run(host.input(), "/").findings().size());
    }

    @Test
    void randomGarbageInEachFileGivesTenFindings() {
        long seed = Long.getLong("numatp.test.seed", System.nanoTime());
        SplittableRandom random = new SplittableRandom(seed);
        for (int round = 0; round < 100; round++) {
            FakeHost host = new FakeHost(root.resolve("r" + round));
            String file = FILES.get(random.nextInt(FILES.size()));
            StringBuilder junk = new StringBuilder();
            int parts = random.nextInt(12);
            for (int i = 0; i < parts; i++) {
                junk.append(PIECES[random.nextInt(PIECES.length)]).append(random.nextBoolean() ? " " : "");
            }
            host.write(file, junk.toString());
            try {
                assertEquals(10, Doctor.standard().run(host.input(), "/").findings().size());
            } catch (RuntimeException | AssertionError e) {
                throw new AssertionError("seed " + seed + ", round " + round + ": " + file + " = '" + junk + "'", e);
            }
        }
    }
}
