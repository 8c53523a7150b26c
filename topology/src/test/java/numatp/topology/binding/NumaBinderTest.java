package numatp.topology.binding;

import numatp.topology.IdSet;
import numatp.topology.linux.Errno;
import numatp.topology.linux.FakeLinuxNuma;
import numatp.topology.linux.FakeSysfs;
import numatp.topology.linux.MemPolicy;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Request checks against a fake kernel: nodes 0 (CPUs 0-1), 1 (CPUs 2-3), 2 (memory only). */
class NumaBinderTest {
    @TempDir
    Path root;
    private FakeLinuxNuma kernel;
    private NumaBinder binder;

    @BeforeEach
    void threeNodes() {
        FakeSysfs sysfs = new FakeSysfs(root).nodes("0-2").node(0, "0-1", 1024, 900).node(1, "2-3", 1024, 900)
                .node(2, "", 1024, 900);
        kernel = new FakeLinuxNuma(IdSet.range(0, 3), IdSet.range(0, 2));
        binder = new NumaBinder(kernel, sysfs.files());
    }

    @Test
    void memoryOnlyNodeIsRefusedForThreadsNamingNodesWithCpus() {
        BindingException e = assertThrows(BindingException.class, () -> binder.bindCurrentThreadToNode(2));
        assertEquals("node 2 has no CPUs (a memory-only node): threads cannot run there; nodes with CPUs: 0-1."
                + " Place memory on node 2 with NodeMemory and run the threads on a node with CPUs", e.getMessage());
    }

    @Test
    void unknownNodeNamesTheOnlineNodes() {
        BindingException e = assertThrows(BindingException.class, () -> binder.bindCurrentThreadToNode(7));
        assertEquals("node 7 does not exist; online nodes: 0-2", e.getMessage());
    }

    @Test
    void cpusOutsideTheAllowedSetAreNamed() {
        kernel.allowCpus(IdSet.of(0, 1));
        BindingException outside = assertThrows(BindingException.class,
                () -> binder.pinCurrentThreadToCpus(IdSet.of(1, 2, 3)));
        assertEquals("CPUs 2-3 are outside the CPUs this process may use (0-1, from sched_getaffinity and the cgroup"
                + " cpuset); asked for 1-3", outside.getMessage());
        BindingException node = assertThrows(BindingException.class, () -> binder.bindCurrentThreadToNode(1));
        assertEquals("none of node 1's CPUs (2-3) may be used by this process; allowed CPUs: 0-1 (sched_getaffinity"
                + " and the cgroup cpuset)", node.getMessage());
        assertThrows(BindingException.class, () -> binder.pinCurrentThreadToCpus(IdSet.empty()));
    }

    @Test
    void bindingPinsTheNodesCpusAndPrefersItsMemory() {
        ThreadPlacement p = binder.bindCurrentThreadToNode(1);
        assertEquals(IdSet.of(2, 3), p.cpus());
        assertEquals(MemPolicy.PREFERRED, p.memoryPolicy());
        assertEquals("", p.note());
    }

    @Test
    void refusedMemoryPolicyStillPinsAndSaysWhy() {
        kernel.failMbind(null, Errno.EPERM);
        ThreadPlacement p = binder.bindCurrentThreadToNode(1, IdSet.of(2, 3), MemPolicy.BIND);
        assertEquals(IdSet.of(2, 3), p.cpus());
        assertEquals(MemPolicy.DEFAULT, p.memoryPolicy());
        assertTrue(p.note().startsWith("memory policy not applied: mbind refused: errno=1 (EPERM)"), p.note());
    }
}
