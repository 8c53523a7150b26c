package numatp.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import numatp.topology.SharedCaptures;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code tp doctor --root} on a small generated host (one healthy, then broken) and on a real capture. */
class DoctorCommandTest {
    @TempDir
    Path root;

    record Result(int code, String out, String err) {
    }

    static Result tp(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = TpMain.execute(args, new PrintWriter(out), new PrintWriter(err));
        return new Result(code, out.toString(), err.toString());
    }

    @BeforeEach
    void healthyHost() {
        HostTree.write(root);
    }

    private void write(String relative, String text) {
        HostTree.write(root, relative, text);
    }

    @Test
    void healthyHostIsReadyAndExitsZero() {
        Result r = tp("doctor", "--root", root.toString(), "--shards", "2", "--sample-interval", "0");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().startsWith("checking " + root + " for serving on CPUs 0-3 (nodes 0-1)\n"), r.out());
        assertTrue(r.out().contains("ready to serve: 9 ok, 0 warn, 0 fail, 1 unknown (exit 0)"), r.out());
        assertTrue(r.out().contains("[unknown] other busy processes on the planned CPUs: not sampled"), r.out());
    }

    @Test
    void warningExitsThreeAndAFailureTwo() {
        write("proc/sys/kernel/numa_balancing", "1\n");
        Result warned = tp("doctor", "--root", root.toString(), "--shards", "2", "--sample-interval", "0");
        assertEquals(3, warned.code(), warned.out() + warned.err());
        assertTrue(warned.out().contains("[warn]    automatic NUMA balancing: on (1)"), warned.out());
        assertTrue(warned.out().contains("fix: sudo sysctl -w kernel.numa_balancing=0"), warned.out());

        write("sys/fs/cgroup/tp.service/cpu.max", "100000 100000\n");
        Result failed = tp("doctor", "--root", root.toString(), "--shards", "2", "--sample-interval", "0");
        assertEquals(2, failed.code(), failed.out() + failed.err());
        assertTrue(failed.out().contains("NOT ready to serve"), failed.out());
    }

    @Test
    void planFlagsChooseTheCpusChecked() {
        write("sys/devices/system/cpu/cpu3/cpufreq/scaling_governor", "powersave\n");
        Result node0 = tp("doctor", "--root", root.toString(), "--numa-nodes", "0", "--sample-interval", "0");
        assertEquals(0, node0.code(), node0.out() + node0.err());
        Result both = tp("doctor", "--root", root.toString(), "--shards", "2", "--sample-interval", "0");
        assertEquals(3, both.code(), both.out());
        assertTrue(both.out().contains("performance on 3, powersave on 1 of 4 planned CPUs"), both.out());
    }

    @Test
    void jsonIsStable() throws Exception {
        Result r = tp("doctor", "--root", root.toString(), "--shards", "2", "--sample-interval", "0", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode json = new ObjectMapper().readTree(r.out());
        assertEquals("ok", json.get("readiness").asText());
        assertEquals(10, json.get("checks").size());
        assertEquals("cpu-governor", json.get("checks").get(0).get("id").asText());
        assertEquals(1, json.get("counts").get("unknown").asInt());
    }

    @Test
    void badIntervalIsAUsageError() {
        Result r = tp("doctor", "--root", root.toString(), "--sample-interval", "-1");
        assertEquals(2, r.code());
        assertEquals("error: --sample-interval must be in [0, 60] seconds: -1.0\n", r.err());
    }

    @Test
    void realCaptureAnswersEveryCheck() throws Exception {
        JsonNode expected = new ObjectMapper().readTree(SharedCaptures.sharedTopologies()
                .resolve("32amd64-4s2n4c-cgroup2").resolve("expected.json").toFile());
        Path capture = SharedCaptures.root("32amd64-4s2n4c-cgroup2", expected.get("fsroot").asText());
        Result r = tp("doctor", "--root", capture.toString(), "--sample-interval", "0", "--json");
        assertTrue(r.code() == 0 || r.code() == 3, r.out() + r.err());
        assertEquals(10, new ObjectMapper().readTree(r.out()).get("checks").size());
    }
}
