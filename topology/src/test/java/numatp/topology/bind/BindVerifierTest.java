package numatp.topology.bind;

import numatp.topology.IdSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Read-back from a generated /proc: match, mismatch, a gone thread, numa_maps page spread. */
@Timeout(60)
class BindVerifierTest {
    @TempDir
    Path root;

    @Test
    void reportsMatchMismatchGoneAndPagesPerNode() throws Exception {
        BindTree.process(root, 10, "worker", "worker", Map.of(11, "forward", 12, "gc"));
        BindTree.allowed(root, 10, 10, "0-3");
        BindTree.allowed(root, 10, 11, "0-7");
        Files.delete(root.resolve("proc/10/task/12/status"));
        BindTree.write(root, "proc/10/numa_maps", """
                00400000 default file=/usr/bin/worker mapped=10 N0=6 N1=4 kernelpagesize_kB=4
                7f0000000000 interleave:0-1 anon=300 dirty=300 N0=150 N1=100 N2=50 kernelpagesize_kB=4
                7fff00000000 default stack anon=3 dirty=3 active=0 N0=3 kernelpagesize_kB=4
                """);
        ProcessBinding p = new ProcessBinding(10, "worker", "worker", 0, 0, 0, IdSet.range(0, 3), MemoryMode.INTERLEAVE,
                IdSet.of(0, 1), List.of(new ThreadBinding(10, "worker", false, 0, IdSet.range(0, 3)),
                new ThreadBinding(11, "forward", true, 1, IdSet.range(4, 7)),
                new ThreadBinding(12, "gc", false, 0, IdSet.range(0, 3))));
        BindPlan plan = new BindPlan("t", "generic", List.of(), List.of(p), List.of());
        List<ProcessCheck> checks = new BindVerifier(root).verify(plan);
        ProcessCheck c = checks.getFirst();
        assertEquals(List.of("match", "mismatch", "gone"), c.threads().stream().map(ThreadCheck::verdict).toList());
        assertEquals(Map.of(0, 159L, 1, 104L, 2, 50L), c.pagesByNode());
        assertEquals(263, c.pagesOnPlannedNodes());
        assertFalse(c.memoryMatches());
        assertFalse(c.cpusMatch());
        assertTrue(c.policies().contains("interleave:0-1"));
        String text = BindReport.verifyText(checks);
        assertTrue(text.contains("[mismatch] pid 10 tid 11 (forward): wanted CPUs 4-7, got 0-7"), text);
        assertTrue(text.contains("NOT verified: 1 thread(s)"), text);
        assertTrue(text.contains("N0=159 N1=104 N2=50 pages, 263/313 on planned nodes 0-1"), text);
        String md = BindReport.markdown(plan, List.of(), checks);
        assertTrue(md.contains("| 10 | 11 | 4-7 | 0-7 | mismatch |"), md);
        assertTrue(BindReport.json(plan, List.of(), checks).contains("\"verdict\" : \"gone\""));
    }

    @Test
    void pagesLeftOffThePlannedNodesAreNamedByWhatHoldsThem() {
        BindTree.process(root, 10, "worker", "worker", Map.of());
        BindTree.allowed(root, 10, 10, "0");
        BindTree.write(root, "proc/10/numa_maps", """
                00400000 default file=/usr/lib/libc.so.6 mapped=40 mapmax=9 N0=10 N1=30 kernelpagesize_kB=4
                00500000 default file=/usr/lib/libjvm.so mapped=12 mapmax=3 N1=12 kernelpagesize_kB=4
                7e0000000000 default file=/dev/shm/ring anon=0 mapped=5 mapmax=2 N1=5 kernelpagesize_kB=4
                7f0000000000 default anon=200 dirty=200 N0=200 kernelpagesize_kB=4
                7f1000000000 default anon=8 dirty=8 mapmax=2 N1=8 kernelpagesize_kB=4
                """);
        ProcessBinding p = new ProcessBinding(10, "worker", "worker", -1, 0, 0, IdSet.of(0), MemoryMode.LOCAL,
                IdSet.of(0), List.of(new ThreadBinding(10, "worker", false, 0, IdSet.of(0))));
        BindPlan plan = new BindPlan("t", "generic", List.of(), List.of(p), List.of());
        ProcessCheck c = new BindVerifier(root).verify(plan).getFirst();
        assertEquals(Map.of("/usr/lib/libc.so.6", 30L, "/usr/lib/libjvm.so", 12L, "/dev/shm/ring", 5L,
                BindVerifier.SHARED_ANONYMOUS, 8L), c.strayPages());
        assertEquals(0, c.strayAnonymousPages());
        assertEquals(210, c.pagesOnPlannedNodes());
        String text = BindReport.verifyText(List.of(c));
        assertTrue(text.contains("210/265 on planned nodes 0; off them: /usr/lib/libc.so.6 30, /usr/lib/libjvm.so 12,"
                + " shared anonymous 8, /dev/shm/ring 5 (no private anonymous page stayed"), text);
        assertTrue(BindReport.json(plan, List.of(), List.of(c)).contains("\"/usr/lib/libc.so.6\" : 30"));
        BindTree.write(root, "proc/10/numa_maps", "7f0000000000 default anon=9 N0=4 N1=5 kernelpagesize_kB=4\n");
        c = new BindVerifier(root).verify(plan).getFirst();
        assertEquals(5, c.strayAnonymousPages());
        assertFalse(BindReport.verifyText(List.of(c)).contains("no private anonymous"));
    }

    @Test
    void malformedNumaMapsIsNamed() {
        BindTree.process(root, 10, "worker", "worker", Map.of());
        BindTree.write(root, "proc/10/numa_maps", "00400000 default N0=x\n");
        ProcessBinding p = new ProcessBinding(10, "worker", "worker", -1, 0, 0, IdSet.of(0), MemoryMode.LOCAL,
                IdSet.of(0), List.of(new ThreadBinding(10, "worker", false, 0, IdSet.of(0))));
        BindException e = assertThrows(BindException.class, () -> new BindVerifier(root)
                .verify(new BindPlan("t", "generic", List.of(), List.of(p), List.of())));
        assertTrue(e.getMessage().contains("numa_maps: malformed node field N0=x"), e.getMessage());
    }
}
