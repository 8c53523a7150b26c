package numatp.topology.numavm;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real 2-node kernel (QEMU, 1 CPU and 256 MiB per node): binding memory and a thread to node 1,
 * and a strict 512 MiB request on node 1 falling back without the process being killed. One guest
 * boot and one JVM for all checks; the tests read its output.
 */
@Tag("numa-vm")
@Timeout(value = 400, unit = TimeUnit.SECONDS)
class NumaVmTwoNodeTest {
    private static NumaVm.Result result;
    private static Map<String, String> probe;

    @BeforeAll
    static void bootGuestOnce() throws Exception {
        NumaVm.assumeAvailable();
        result = NumaVm.runProbe(List.of("-n", "2", "-c", "1", "-m", "256"), List.of(
                "alloc", "1", "64", "bind", "touch",
                "thread", "1",
                "alloc", "1", "224", "bind", "touch",
                "alloc", "1", "512", "bind", "notouch",
                "alloc", "1", "512", "bind", "touch",
                "check"), 300);
        System.out.println(result.output());
        probe = result.probe();
    }

    @Test
    void guestRanTheProbeToTheEnd() {
        result.assertRanToTheEnd();
    }

    @Test
    void memoryBoundToNodeOneIsResidentOnNodeOne() {
        String key = "alloc.1.64.bind.touch";
        assertEquals("bind", probe.get(key + ".policy"), result.output());
        assertNull(probe.get(key + ".step"), result.output());
        assertEquals("MATCH", probe.get(key + ".verdict"), result.output());
        // 16384 pages, sampled at most 4096 (PageResidency.DEFAULT_MAX_SAMPLES)
        assertEquals("4096", probe.get(key + ".pages.node1"), result.output());
        assertNull(probe.get(key + ".pages.node0"), result.output());
    }

    @Test
    void threadBoundToNodeOneRunsOnNodeOne() {
        assertEquals("1", probe.get("thread.1.cpus"), result.output());
        assertEquals("1", probe.get("thread.1.affinity"), result.output());
        assertEquals("1", probe.get("thread.1.cpu"), result.output());
        assertEquals("1", probe.get("thread.1.node"), result.output());
    }

    @Test
    void strictRequestLargerThanTheNodeFallsBackToPreferredAndSpills() {
        // node 1 has 256 MiB, 160-205 MiB of it free once the guest runs: 224 MiB cannot be bound strictly
        String key = "alloc.1.224.bind.touch";
        assertEquals("preferred", probe.get(key + ".policy"), result.output());
        String step = probe.get(key + ".step");
        assertTrue(step != null && step.startsWith("bind->preferred: node 1 has ")
                && step.endsWith(" free, 224 MiB requested: falling back to preferred"), result.output());
        assertEquals("MISMATCH", probe.get(key + ".verdict"), result.output());
        assertTrue(Integer.parseInt(probe.get(key + ".pages.node1")) > 2048, "most pages still on node 1");
        assertTrue(Integer.parseInt(probe.get(key + ".pages.node0")) > 0, "the rest spilled to node 0");
        assertTrue(probe.get(key + ".report").contains("node 1 is nearly full"), result.output());
    }

    @Test
    void requestLargerThanTheGuestFailsWithTheStepsTakenWithoutBeingKilled() {
        // 512 MiB does not fit the 512 MiB guest at all: bind steps down, then a clear error, and the JVM lives on
        for (String key : new String[] {"alloc.1.512.bind.notouch", "alloc.1.512.bind.touch"}) {
            String error = probe.get(key + ".error");
            assertTrue(error != null && error.contains("512 MiB") && error.contains("fallbacks tried: bind->preferred (node 1 has "),
                    result.output());
        }
        assertTrue(probe.get("alloc.1.512.bind.touch.error").contains("touching it would invoke the OOM killer"),
                result.output());
        assertEquals("true", probe.get("done"), "the probe ran to the end after both failures");
    }
}
