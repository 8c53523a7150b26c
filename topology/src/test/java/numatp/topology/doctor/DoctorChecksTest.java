package numatp.topology.doctor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import numatp.topology.IdSet;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each check on a host that passes everything, then with its own file broken in turn. */
class DoctorChecksTest {
    @TempDir
    Path root;
    private FakeHost host;

    @BeforeEach
    void healthyHost() {
        host = new FakeHost(root);
    }

    private static void assertStatus(Readiness expected, Finding f) {
        assertEquals(expected, f.status(), f.toText());
        if (expected == Readiness.WARN || expected == Readiness.FAIL) {
            assertTrue(!f.fix().isEmpty(), "a warning or failure names its fix: " + f.toText());
        }
    }

    @Test
    void healthyHostIsReadyWithEveryCheckOk() {
        DoctorReport report = Doctor.standard().run(host.input(), "/");
        for (Finding f : report.findings()) {
            assertStatus(Readiness.OK, f);
        }
        assertEquals(Doctor.standard().ids(), report.findings().stream().map(Finding::id).toList());
        assertEquals(0, report.exitCode());
        assertTrue(report.toText().contains("ready to serve: 10 ok, 0 warn, 0 fail, 0 unknown (exit 0)"),
                report.toText());
    }

    @Test
    void powersaveGovernorOnAPlannedCpuWarnsAndAbsentCpufreqIsUnknown() {
        host.write("sys/devices/system/cpu/cpu2/cpufreq/scaling_governor", "powersave\n");
        Finding f = host.finding(CpuGovernorCheck.ID);
        assertStatus(Readiness.WARN, f);
        assertTrue(f.found().startsWith("performance on 3, powersave on 1 of 4 planned CPUs"), f.found());
        assertTrue(f.fix().contains("cpupower frequency-set -g performance"), f.fix());

        host.write("sys/devices/system/cpu/cpu2/cpufreq/scaling_governor", "performance\n")
                .write("sys/devices/system/cpu/cpu1/cpufreq/scaling_governor", "powersave\n");
        assertStatus(Readiness.OK, host.finding(CpuGovernorCheck.ID)); // CPU 1 is not planned

        for (int c = 0; c < 8; c++) {
            host.delete("sys/devices/system/cpu/cpu" + c + "/cpufreq/scaling_governor");
        }
        Finding none = host.finding(CpuGovernorCheck.ID);
        assertStatus(Readiness.UNKNOWN, none);
        assertTrue(none.found().contains("no cpufreq"), none.found());
    }

    @Test
    void numaBalancingOnWarnsAndAbsentIsUnknown() {
        host.write("proc/sys/kernel/numa_balancing", "1\n");
        Finding f = host.finding(NumaBalancingCheck.ID);
        assertStatus(Readiness.WARN, f);
        assertTrue(f.fix().contains("kernel.numa_balancing=0"), f.fix());
        host.delete("proc/sys/kernel/numa_balancing");
        assertStatus(Readiness.UNKNOWN, host.finding(NumaBalancingCheck.ID));
    }

    @Test
    void thpNeverOrSynchronousDefragWarns() {
        host.write("sys/kernel/mm/transparent_hugepage/enabled", "always madvise [never]\n");
        assertStatus(Readiness.WARN, host.finding(TransparentHugePagesCheck.ID));
        host.write("sys/kernel/mm/transparent_hugepage/enabled", "[always] madvise never\n")
                .write("sys/kernel/mm/transparent_hugepage/defrag", "[always] defer defer+madvise madvise never\n");
        Finding defrag = host.finding(TransparentHugePagesCheck.ID);
        assertStatus(Readiness.WARN, defrag);
        assertTrue(defrag.fix().endsWith("transparent_hugepage/defrag"), defrag.fix());
        host.delete("sys/kernel/mm/transparent_hugepage/enabled");
        assertStatus(Readiness.UNKNOWN, host.finding(TransparentHugePagesCheck.ID));
    }

    @Test
    void hugePagesOnOnlySomePlannedNodesWarn() {
        host.write("sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages", "512\n")
                .write("sys/devices/system/node/node0/hugepages/hugepages-2048kB/free_hugepages", "500\n");
        Finding f = host.finding(HugePagesCheck.ID);
        assertStatus(Readiness.WARN, f);
        assertTrue(f.found().startsWith("node 0: 512 x 2 MiB (500 free); none on planned node(s) 1"), f.found());
        host.write("sys/devices/system/node/node1/hugepages/hugepages-2048kB/nr_hugepages", "512\n");
        assertStatus(Readiness.OK, host.finding(HugePagesCheck.ID));
    }

    @Test
    void swapInUseOrEagerSwappinessWarns() {
        host.write("proc/swaps", "Filename\tType\tSize\tUsed\tPriority\n/swapfile file 2097148 1024 -2\n")
                .write("proc/meminfo", "MemTotal: 32768000 kB\nSwapTotal: 2097148 kB\nSwapFree: 2096124 kB\n");
        Finding used = host.finding(SwapCheck.ID);
        assertStatus(Readiness.WARN, used);
        assertTrue(used.found().startsWith("/swapfile (2047 MiB), 1024 KiB in use, swappiness 60"), used.found());
        host.write("proc/meminfo", "MemTotal: 32768000 kB\nSwapTotal: 2097148 kB\nSwapFree: 2097148 kB\n");
        assertStatus(Readiness.WARN, host.finding(SwapCheck.ID));
        host.write("proc/sys/vm/swappiness", "1\n");
        assertStatus(Readiness.OK, host.finding(SwapCheck.ID));
        host.delete("proc/swaps").delete("proc/meminfo");
        assertStatus(Readiness.UNKNOWN, host.finding(SwapCheck.ID));
    }

    @Test
    void deviceInterruptFiringOnAPlannedCpuWarnsAndNamesTheSpareCpus() {
        host.write("proc/irq/24/smp_affinity_list", "0-7\n")
                .write("proc/interrupts", "           CPU0       CPU1       CPU2       CPU3       CPU4       CPU5"
                        + "       CPU6       CPU7\n"
                        + " 24:          0          0       3000          0          0          0          0       9000"
                        + "  PCI-MSI 524288-edge      eth0\n"
                        + "LOC:      10000      10000      10000      10000      10000      10000      10000      10000"
                        + "   Local timer interrupts\n");
        Finding f = host.finding(IrqAffinityCheck.ID);
        assertStatus(Readiness.WARN, f);
        assertTrue(f.found().contains("24 (eth0, 3000 so far, affinity 0-7)"), f.found());
        assertTrue(f.fix().startsWith("echo 1,3,5,7 | sudo tee /proc/irq/24/smp_affinity_list"), f.fix());
        host.delete("proc/irq/24/smp_affinity_list");
        assertStatus(Readiness.UNKNOWN, host.finding(IrqAffinityCheck.ID));
    }

    @Test
    void cpuQuotaBelowOneCpuPerShardFailsAndBelowTheThreadsWarns() {
        host.write("sys/fs/cgroup/system.slice/cpu.max", "150000 100000\n");
        Finding f = host.finding(CgroupLimitsCheck.ID);
        assertStatus(Readiness.FAIL, f);
        assertTrue(f.found().contains("cpu.max allows 1.50 CPUs for 4 planned threads"), f.found());
        host.write("sys/fs/cgroup/system.slice/cpu.max", "max 100000\n")
                .write("sys/fs/cgroup/system.slice/tp.service/cpu.max", "300000 100000\n");
        assertEquals(Readiness.FAIL, host.finding(CgroupLimitsCheck.ID).status()); // 3 CPUs < 4 shards
        DoctorInput twoShards = host.input(FakeHost.PLANNED, 2);
        Finding throttled = new CgroupLimitsCheck().check(twoShards);
        assertStatus(Readiness.WARN, throttled);
        assertTrue(throttled.found().contains("the threads are throttled"), throttled.found());
    }

    @Test
    void memoryLimitBelowThePlannedNodesFreeMemoryWarns() {
        host.write("sys/fs/cgroup/system.slice/tp.service/memory.max", String.valueOf(8L << 30));
        Finding f = host.finding(CgroupLimitsCheck.ID);
        assertStatus(Readiness.WARN, f);
        assertTrue(f.found().contains("memory.max 8 GiB is below the free memory of the planned nodes (24 GiB)"),
                f.found());
        host.delete("proc/self/cgroup");
        assertStatus(Readiness.UNKNOWN, host.finding(CgroupLimitsCheck.ID));
    }

    @Test
    void busyProcessOnAPlannedCpuWarnsAndAHogFails() {
        host.process(300, "tar", 0, 2).process(301, "idle job", 0, 4).process(302, "elsewhere", 0, 1)
                .betweenSamples(() -> host.process(300, "tar", 20, 2).process(301, "idle job", 5, 4)
                        .process(302, "elsewhere", 100, 1).process(FakeHost.SELF_PID, "java", 5100, 0));
        Finding f = host.finding(NoisyNeighbourCheck.ID);
        assertStatus(Readiness.WARN, f);
        assertTrue(f.found().startsWith("pid 300 (tar) 20% on CPU 2: shard threads get preempted"), f.found());

        host.process(300, "tar", 0, 2).process(303, "stress-ng (cpu)", 0, 6).betweenSamples(() -> host.process(303, "stress-ng (cpu)", 99, 6));
        Finding hog = host.finding(NoisyNeighbourCheck.ID);
        assertStatus(Readiness.FAIL, hog);
        assertTrue(hog.found().startsWith("pid 303 (stress-ng (cpu)) 99% on CPU 6, pid 300 (tar) 20% on CPU 2"),
                hog.found());
    }

    @Test
    void notSampledMeansUnknownForBusyProcesses() {
        DoctorInput unsampled = new DoctorInput(host.files(), FakeHost.topology(), FakeHost.PLANNED, IdSet.of(0, 1), 4,
                -1, Samples.none());
        Finding f = new NoisyNeighbourCheck().check(unsampled);
        assertStatus(Readiness.UNKNOWN, f);
        assertEquals("not sampled (--sample-interval 0)", f.found());
    }

    @Test
    void stealOverTheIntervalWarnsOrFailsAndFallsBackToSinceBoot() {
        host.betweenSamples(() -> host.write("proc/stat", stat(10000 + 100, 5)));
        host.write("proc/stat", stat(10000, 0));
        Finding warn = host.finding(CpuStealCheck.ID);
        assertStatus(Readiness.WARN, warn);
        assertTrue(warn.found().startsWith("5.0% of the planned CPUs' time over 1000 ms"), warn.found());

        FakeHost hog = new FakeHost(root.resolve("second")).stat(2500);
        Finding sinceBoot = hog.finding(CpuStealCheck.ID);
        assertStatus(Readiness.FAIL, sinceBoot);
        assertTrue(sinceBoot.found().startsWith("25.0% of the planned CPUs' time since boot"), sinceBoot.found());
    }

    /** {@code /proc/stat} whose CPUs have {@code total} ticks, {@code steal} of them stolen. */
    private static String stat(long total, long steal) {
        StringBuilder s = new StringBuilder();
        for (int c = 0; c < 8; c++) {
            s.append("cpu").append(c).append(' ').append(total - steal).append(" 0 0 0 0 0 0 ").append(steal).append('\n');
        }
        return s.toString();
    }

    @Test
    void twoShardThreadsOnSiblingsOfOneCoreWarn() {
        Finding f = new SmtCheck().check(host.input(IdSet.of(0, 1, 4, 6), 4));
        assertStatus(Readiness.WARN, f);
        assertTrue(f.found().startsWith("on, 2 threads per core: the plan puts shard threads on both siblings of 1"),
                f.found());
        assertTrue(host.finding(SmtCheck.ID).found().endsWith("the plan uses one thread per core"));
    }

    @Test
    void exitCodesAreReadyWarnAndFailWithUnknownCountingAsReady() {
        host.delete("proc/sys/kernel/numa_balancing");
        assertEquals(0, Doctor.standard().run(host.input(), "/").exitCode());
        host.write("sys/kernel/mm/transparent_hugepage/enabled", "always madvise [never]\n");
        assertEquals(3, Doctor.standard().run(host.input(), "/").exitCode());
        host.write("sys/fs/cgroup/system.slice/tp.service/cpu.max", "100000 100000\n");
        DoctorReport failed = Doctor.standard().run(host.input(), "/");
        assertEquals(2, failed.exitCode());
        assertTrue(failed.toText().contains("NOT ready to serve: 7 ok, 1 warn, 1 fail, 1 unknown (exit 2)"),
                failed.toText());
    }

    @Test
    void jsonHasTheDocumentedFieldNames() throws Exception {
        host.write("proc/sys/kernel/numa_balancing", "1\n");
        JsonNode json = new ObjectMapper().readTree(DoctorJson.toJson(Doctor.standard().run(host.input(), "/")));
        assertEquals(List.of("root", "plannedCpus", "plannedNodes", "readiness", "exitCode", "counts", "checks"),
                iterate(json.fieldNames()));
        assertEquals("0,2,4,6", json.get("plannedCpus").asText());
        assertEquals("warn", json.get("readiness").asText());
        assertEquals(3, json.get("exitCode").asInt());
        assertEquals(1, json.get("counts").get("warn").asInt());
        JsonNode balancing = json.get("checks").get(1);
        assertEquals(List.of("id", "title", "status", "found", "fix"), iterate(balancing.fieldNames()));
        assertEquals("numa-balancing", balancing.get("id").asText());
        assertEquals("warn", balancing.get("status").asText());
    }

    private static List<String> iterate(java.util.Iterator<String> it) {
        List<String> out = new java.util.ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }
}
