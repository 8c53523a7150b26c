package numatp.topology.binding;

import numatp.topology.IdSet;
import numatp.topology.diagnostics.MemoryDiagnostics;
import numatp.topology.diagnostics.ResidencyReport;
import numatp.topology.diagnostics.Verdict;
import numatp.topology.linux.KernelFiles;
import numatp.topology.linux.LinuxNuma;
import numatp.topology.linux.PolicySupport;
import numatp.topology.memory.NodeAllocation;
import numatp.topology.memory.NodeMemory;
import numatp.topology.memory.NodeMemoryException;
import numatp.topology.memory.NodeMemoryOptions;
import numatp.topology.memory.PlacementPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The real kernel of this machine (one node on the development machines): node 0 works, node 1 is a clear error. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HostBindingTest {
    private static final long MIB = 1L << 20;

    @Test
    void threadPinnedToCpuZeroRunsOnCpuZero() throws Exception {
        assumeTrue(LinuxNuma.system().isNative(), LinuxNuma.system().description());
        NumaBinder binder = NumaBinder.system();
        assumeTrue(binder.allowedCpus().contains(0), "CPU 0 not allowed here");
        AtomicReference<String> seen = new AtomicReference<>();
        Thread t = Thread.ofPlatform().name("pin-cpu0").start(() -> {
            binder.pinCurrentThreadToCpus(IdSet.of(0));
            StringBuilder cpus = new StringBuilder();
            for (int i = 0; i < 50; i++) {
                cpus.append(binder.currentCpu()).append(i < 49 ? "," : "");
                Thread.yield();
            }
            seen.set(cpus + " node " + binder.currentNode() + " affinity " + LinuxNuma.system().getAffinity(0));
        });
        t.join();
        assertEquals("0,".repeat(49) + "0 node 0 affinity 0", seen.get());
    }

    @Test
    void memoryOnNodeZeroIsResidentOnNodeZero() {
        assumeTrue(LinuxNuma.system().isNative(), LinuxNuma.system().description());
        assumeTrue(PolicySupport.of(LinuxNuma.system()).permitted(), "memory-policy calls refused here");
        try (NodeAllocation a = NodeMemory.system().allocate(8 * MIB, 0, NodeMemoryOptions.defaults())) {
            assertEquals(PlacementPolicy.BIND, a.placement().policyUsed(), a.placement().toString());
            a.segment().set(ValueLayout.JAVA_LONG, 8 * MIB - 8, 42L);
            ResidencyReport r = MemoryDiagnostics.check(a.segment(), 0, "test buffer");
            assertEquals(Verdict.MATCH, r.verdict(), r.message());
            assertEquals(2048, r.residency().pagesByNode().get(0));
            assertTrue(r.message().startsWith("test buffer: 8 MiB on node 0 (match), huge pages: "), r.message());
        }
    }

    @Test
    void nodeOneGivesAClearErrorOnAOneNodeMachine() {
        assumeFalse(KernelFiles.system().onlineNodes().contains(1), "this machine has a node 1");
        String online = KernelFiles.system().onlineNodes().toString();
        NodeMemoryException memory = assertThrows(NodeMemoryException.class,
                () -> NodeMemory.system().allocate(MIB, 1, NodeMemoryOptions.defaults()));
        assertEquals("node 1 does not exist; online nodes: " + online, memory.getMessage());
        BindingException thread = assertThrows(BindingException.class, () -> NumaBinder.system().bindCurrentThreadToNode(1));
        assertEquals("node 1 does not exist; online nodes: " + online, thread.getMessage());
    }
}
