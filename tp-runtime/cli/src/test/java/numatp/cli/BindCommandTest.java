package numatp.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import numatp.topology.linux.LinuxNuma;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code tp bind} on a generated host with processes in /proc, and --apply on this machine with a child. */
class BindCommandTest {
    @TempDir
    Path root;

    @BeforeEach
    void hostWithProcesses() {
        HostTree.write(root);
        process(100, "worker", "worker --rank 0", 101, "forward");
        process(200, "worker", "worker --rank 1", 201, "forward");
        process(300, "Motor", "/opt/Motor", 301, "io");
    }

    private void process(int pid, String comm, String cmdline, int tid, String threadName) {
        HostTree.write(root, "proc/" + pid + "/comm", comm + "\n");
        HostTree.write(root, "proc/" + pid + "/cmdline", cmdline.replace(' ', '\0') + "\0");
        for (int t : new int[]{pid, tid}) {
            HostTree.write(root, "proc/" + pid + "/task/" + t + "/comm", (t == pid ? comm : threadName) + "\n");
            HostTree.write(root, "proc/" + pid + "/task/" + t + "/status", "Cpus_allowed_list:\t0-3\n");
        }
    }

    @Test
    void dryRunPrintsThePlanAndChangesNothing() {
        var r = DoctorCommandTest.tp("bind", "--root", root.toString(), "--group-pattern", "worker",
                "--other-pattern", "Motor", "--forward-thread-pattern", "forward");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("2 socket(s), 2 group(s), 1 other process(es)"), r.out());
        assertTrue(r.out().contains("group 0 -> socket 0: pid 100 (worker) CPUs 0-1 (node 0)"), r.out());
        assertTrue(r.out().contains("group 1 -> socket 1: pid 200 (worker) CPUs 2-3 (node 1)"), r.out());
        assertTrue(r.out().contains("other -> socket 1: pid 300 (Motor)"), r.out());
        assertTrue(r.out().contains("dry run: nothing changed"), r.out());
    }

    @Test
    void jsonAndMarkdownReportCarryThePlan() throws Exception {
        Path report = root.resolve("out/report.md");
        var r = DoctorCommandTest.tp("bind", "--root", root.toString(), "--group-pattern", "worker", "--json",
                "--report", report.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode json = new ObjectMapper().readTree(r.out());
        assertEquals(2, json.get("processes").size());
        assertEquals("group", json.get("processes").get(0).get("role").asText());
        assertEquals("0-1", json.get("processes").get(0).get("cpus").asText());
        String md = Files.readString(report);
        assertTrue(md.startsWith("# NUMA binding report"), md);
        assertTrue(md.contains("| group 1 | 200 | `worker` | 1 | 1 | 2-3 |"), md);
        assertTrue(md.contains("numactl --membind=1 --physcpubind=2-3 -- worker --rank 1"), md);
    }

    @Test
    void verifyOnACaptureFindsAThreadOffItsCpus() {
        var r = DoctorCommandTest.tp("bind", "--root", root.toString(), "--group-pattern", "worker", "--verify");
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("[mismatch] pid 100 tid 100 (worker): wanted CPUs 0-1, got 0-3"), r.out());
    }

    @Test
    void badArgumentsExitTwoWithOneLine() throws Exception {
        var r = DoctorCommandTest.tp("bind", "--root", root.toString(), "--group-pattern", "(");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("error: group_patterns / --group-pattern: not a regular expression: ("), r.err());
        r = DoctorCommandTest.tp("bind", "--root", root.toString(), "--group-pattern", "worker", "--apply");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("cannot be combined with --root"), r.err());
        r = DoctorCommandTest.tp("bind", "--root", root.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("no process patterns"), r.err());
        Path config = root.resolve("bind.json");
        Files.writeString(config, "{\"groups_per_socket\": -1, \"group_patterns\": [\"worker\"]}");
        r = DoctorCommandTest.tp("bind", "--root", root.toString(), "--config", config.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("groups_per_socket must be in [0, 4096]: -1"), r.err());
    }

    @Test
    void byDevicePutsTheNthWorkerOnTheNthAcceleratorsNodeAndNoDeviceExitsTwo() {
        HostTree.write(root, "sys/class/accel/accel0/device/numa_node", "1\n");
        HostTree.write(root, "sys/class/accel/accel1/device/numa_node", "-1\n");
        var r = DoctorCommandTest.tp("bind", "--root", root.toString(), "--group-pattern", "worker",
                "--by-device", "accel");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("group 0 -> socket 1: pid 100 (worker) CPUs 2-3 (node 1) next to accel0"), r.out());
        assertTrue(r.out().contains("group 1 -> socket 1: pid 200 (worker) CPUs 2-3 (node 1) next to accel1"), r.out());
        assertTrue(r.out().contains("note: device accel1 reports no node (numa_node -1)"), r.out());
        r = DoctorCommandTest.tp("bind", "--root", root.toString(), "--group-pattern", "worker", "--by-device", "gpu");
        assertEquals(2, r.code(), r.out() + r.err());
        assertTrue(r.err().startsWith("error: --by-device gpu: no gpu device under "), r.err());
        r = DoctorCommandTest.tp("bind", "--root", root.toString(), "--group-pattern", "worker", "--by-device", "tpu");
        assertEquals(2, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("--by-device: expected one of [accel, gpu, nic], got tpu"), r.err());
    }

    @Test
    void aWorkerStartedByAnotherJoinsItsGroupUnlessGroupedByProcess() {
        HostTree.write(root, "proc/200/stat", "200 (worker) S 100 200 200 0 -1 0 0 0 0 0 1 1 0 0 20 0 2 0 100\n");
        var r = DoctorCommandTest.tp("bind", "--root", root.toString(), "--group-pattern", "worker");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("2 socket(s), 1 group(s), 0 other process(es)"), r.out());
        assertTrue(r.out().contains("group 0 -> socket 0: pid 200 (worker) CPUs 0-1 (node 0)"), r.out());
        r = DoctorCommandTest.tp("bind", "--root", root.toString(), "--group-pattern", "worker", "--group-by", "process");
        assertTrue(r.out().contains("2 socket(s), 2 group(s)"), r.out());
        r = DoctorCommandTest.tp("bind", "--root", root.toString(), "--group-pattern", "worker", "--group-by", "pod");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--group-by: expected one of [tree, parent, process], got pod"), r.err());
    }

    @Test
    @Timeout(60)
    void applyBindsAChildOnThisMachineAndVerifiesIt() throws Exception {
        Assumptions.assumeTrue(LinuxNuma.system().isNative(), LinuxNuma.system().description());
        long seed = System.nanoTime();
        String name = "tp-bind-cli-" + Long.toHexString(new SplittableRandom(seed).nextLong() & 0xffffffL);
        Process child = new ProcessBuilder("bash", "-c", "exec -a " + name + " sleep 120").start();
        try {
            Path cmdline = Path.of("/proc/" + child.pid() + "/cmdline");
            Instant deadline = Instant.now().plus(Duration.ofSeconds(20));
            while (!Files.readString(cmdline).startsWith(name)) {
                assertTrue(Instant.now().isBefore(deadline), "child did not exec " + name);
                Thread.onSpinWait();
            }
            var r = DoctorCommandTest.tp("bind", "--group-pattern", "^sleep " + name, "--apply");
            assertEquals(0, r.code(), "seed " + seed + "\n" + r.out() + r.err());
            assertTrue(r.out().contains("[ok] pid " + child.pid() + " tid " + child.pid() + " sched_setaffinity"), r.out());
            assertTrue(r.out().contains("verified: every live thread runs on its planned CPUs"), r.out());
        } finally {
            child.destroyForcibly();
            child.waitFor();
        }
    }
}
