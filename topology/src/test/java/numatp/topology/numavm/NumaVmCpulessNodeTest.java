package numatp.topology.numavm;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A memory-only node (like CXL or HBM): usable for memory, refused for threads with a clear message. */
@Tag("numa-vm")
class NumaVmCpulessNodeTest {
    @Test
    @Timeout(value = 400, unit = TimeUnit.SECONDS)
    void memoryOnlyNodeTakesMemoryButRefusesThreads() throws Exception {
        NumaVm.assumeAvailable();
        // Nodes 0 and 1 have one CPU each; node 2 is memory-only.
        NumaVm.Result result = NumaVm.runProbe(List.of("-n", "2", "-c", "1", "-m", "256", "-l"),
                List.of("alloc", "2", "32", "bind", "touch", "thread", "2"), 300);
        System.out.println(result.output());
        Map<String, String> probe = result.probe();
        assertEquals(0, result.exitCode(), result.output());
        assertEquals("bind", probe.get("alloc.2.32.bind.touch.policy"), result.output());
        assertEquals("MATCH", probe.get("alloc.2.32.bind.touch.verdict"), result.output());
        // 8192 pages, sampled at most 4096
        assertEquals("4096", probe.get("alloc.2.32.bind.touch.pages.node2"), result.output());
        String error = probe.get("thread.2.error");
        assertTrue(error != null && error.startsWith("node 2 has no CPUs (a memory-only node)")
                && error.contains("nodes with CPUs: 0-1"), result.output());
    }
}
