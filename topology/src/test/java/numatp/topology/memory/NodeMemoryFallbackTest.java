package numatp.topology.memory;

import numatp.topology.IdSet;
import numatp.topology.linux.Errno;
import numatp.topology.linux.FakeLinuxNuma;
import numatp.topology.linux.FakeSysfs;
import numatp.topology.linux.MemPolicy;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The fallback chain against a fake kernel that fails on demand. First touch runs in a pinned thread. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class NodeMemoryFallbackTest {
    private static final long MIB = 1L << 20;

    @TempDir
    Path root;
    private FakeSysfs sysfs;
    private FakeLinuxNuma kernel;

    @BeforeEach
    void twoNodes() {
        sysfs = new FakeSysfs(root).nodes("0-1").node(0, "0-1", 4096, 3000).node(1, "2-3", 4096, 3000)
                .memAvailableMib(6000);
        kernel = new FakeLinuxNuma(IdSet.range(0, 3), IdSet.range(0, 1));
    }

    private NodeMemory memory() {
        return new NodeMemory(kernel, sysfs.files());
    }

    @Test
    void strictRequestThatFitsStaysBoundAndResidentOnTheNode() {
        try (NodeAllocation a = memory().allocate(256 * MIB, 1, NodeMemoryOptions.defaults())) {
            Placement p = a.placement();
            assertEquals(PlacementPolicy.BIND, p.policyUsed());
            assertEquals(List.of(), p.fallbackSteps());
            assertEquals(IdSet.of(1), p.policyNodes());
            assertEquals(256 * MIB, a.segment().byteSize());
            assertEquals(0, a.segment().address() % 4096);
            assertEquals(100.0, p.residency().percentOn(1));
            assertTrue(p.touchNote().contains("node 1 CPUs 2-3"), p.touchNote());
        }
        assertEquals(0, kernel.liveMappings(), "closing the allocation unmaps it");
    }

    @Test
    void fullNodeFallsBackToPreferredSayingHowMuchIsFree() {
        sysfs.node(1, "2-3", 4096, 180);
        try (NodeAllocation a = memory().allocate(256 * MIB, 1, NodeMemoryOptions.defaults().withFirstTouch(false))) {
            Placement p = a.placement();
            assertEquals(PlacementPolicy.PREFERRED, p.policyUsed());
            assertEquals(1, p.fallbackSteps().size());
            assertEquals("node 1 has 180 MiB free, 256 MiB requested: falling back to preferred",
                    p.fallbackSteps().getFirst().message());
            assertEquals(null, p.residency());
        }
    }

    @Test
    void refusedPolicyCallsGoStraightToPlainAndStillTouchFromTheNode() {
        kernel.failMbind(null, Errno.EPERM);
        try (NodeAllocation a = memory().allocate(8 * MIB, 1, NodeMemoryOptions.defaults())) {
            Placement p = a.placement();
            assertEquals(PlacementPolicy.PLAIN, p.policyUsed());
            FallbackStep step = p.fallbackSteps().getFirst();
            assertEquals("bind", step.from());
            assertEquals("plain", step.to());
            assertTrue(step.reason().contains("EPERM") && step.reason().contains("SYS_NICE"), step.reason());
            assertTrue(p.touched());
        }
    }

    @Test
    void enomemWhilePopulatingUnderBindFallsBackAndUnmapsTheFailedAttempt() {
        kernel.failPopulate(MemPolicy.BIND, Errno.ENOMEM);
        try (NodeAllocation a = memory().allocate(64 * MIB, 1, NodeMemoryOptions.defaults())) {
            Placement p = a.placement();
            assertEquals(PlacementPolicy.PREFERRED, p.policyUsed());
            assertTrue(p.fallbackSteps().getFirst().reason().contains("errno=12 (ENOMEM)"), p.toString());
            assertEquals(1, kernel.liveMappings(), "only the successful mapping remains");
            assertEquals(100.0, p.residency().percentOn(1));
        }
        assertEquals(0, kernel.liveMappings());
    }

    @Test
    void eachFailingPolicyStepsDownTheWholeChainInOrder() {
        kernel.failMbind(MemPolicy.BIND, Errno.EINVAL).failMbind(MemPolicy.PREFERRED, Errno.EINVAL)
                .failMbind(MemPolicy.INTERLEAVE, Errno.EINVAL);
        try (NodeAllocation a = memory().allocate(4 * MIB, 1, NodeMemoryOptions.defaults())) {
            List<String> chain = a.placement().fallbackSteps().stream().map(s -> s.from() + "->" + s.to()).toList();
            assertEquals(List.of("bind->preferred", "preferred->interleave", "interleave->plain"), chain);
            assertEquals(PlacementPolicy.PLAIN, a.placement().policyUsed());
        }
    }

    @Test
    void interleaveSpreadsOverTheAllowedNodes() {
        try (NodeAllocation a = memory().allocate(8 * MIB, 0,
                NodeMemoryOptions.defaults().withPolicy(PlacementPolicy.INTERLEAVE))) {
            assertEquals(IdSet.of(0, 1), a.placement().policyNodes());
            assertEquals(50.0, a.placement().residency().percentOn(0), 1.0);
            assertEquals(50.0, a.placement().residency().percentOn(1), 1.0);
        }
    }

    @Test
    void withFallbackOffAFullNodeIsAnErrorNamingNodeAndSizes() {
        sysfs.node(1, "2-3", 4096, 100);
        NodeMemoryException e = assertThrows(NodeMemoryException.class,
                () -> memory().allocate(256 * MIB, 1, NodeMemoryOptions.defaults().withFallback(false)));
        assertEquals("cannot allocate 256 MiB on node 1 with policy bind: node 1 has 100 MiB free, 256 MiB requested"
                + " (fallback disabled)", e.getMessage());
    }

    @Test
    void requestLargerThanTheMachineFailsCleanlyInsteadOfTouching() {
        sysfs.node(1, "2-3", 256, 180).memAvailableMib(300);
        NodeMemoryException e = assertThrows(NodeMemoryException.class,
                () -> memory().allocate(512 * MIB, 1, NodeMemoryOptions.defaults()));
        assertTrue(e.getMessage().startsWith("cannot allocate 512 MiB for node 1: the machine has 300 MiB available"),
                e.getMessage());
        assertTrue(e.getMessage().contains("node 1 180 MiB"), e.getMessage());
        assertEquals(0, kernel.liveMappings());
    }

    @Test
    void unknownNodeAndBadSizeAreClearErrors() {
        NodeMemoryException unknown = assertThrows(NodeMemoryException.class,
                () -> memory().allocate(MIB, 5, NodeMemoryOptions.defaults()));
        assertEquals("node 5 does not exist; online nodes: 0-1", unknown.getMessage());
        assertThrows(NodeMemoryException.class, () -> memory().allocate(0, 0, NodeMemoryOptions.defaults()));
    }

    @Test
    void missingHugetlbPagesFallBackToThpWithTheReserveCommand() {
        sysfs.write("sys/devices/system/node/node1/hugepages/hugepages-2048kB/free_hugepages", "0\n");
        try (NodeAllocation a = memory().allocate(256 * MIB, 1,
                NodeMemoryOptions.defaults().withHugePages(HugePages.HUGETLB))) {
            FallbackStep step = a.placement().fallbackSteps().getFirst();
            assertEquals("hugetlb", step.from());
            assertEquals("thp", step.to());
            assertEquals("node 1 has 0 free 2 MiB huge pages, 128 needed; reserve them with: echo 128 >"
                    + " /sys/devices/system/node/node1/hugepages/hugepages-2048kB/nr_hugepages", step.reason());
            assertEquals(0, a.segment().address() % (2 * MIB), "THP memory is 2 MiB aligned");
        }
        assertEquals(0, kernel.liveMappings(), "aligned mapping trimmed and unmapped completely");
    }

    @Test
    void hugetlbMmapFailureAlsoFallsBackToThp() {
        kernel.failHugetlb(Errno.ENOMEM);
        try (NodeAllocation a = memory().allocate(4 * MIB, 1,
                NodeMemoryOptions.defaults().withHugePages(HugePages.HUGETLB).withFirstTouch(false))) {
            assertEquals(HugePages.THP, a.placement().hugePagesObtained());
            assertTrue(a.placement().fallbackSteps().getFirst().reason().contains("ENOMEM"));
        }
    }

    @Test
    void statsCountRequestedAndObtainedPerNodeWhileAllocationsLive() {
        NodeMemory memory = memory();
        kernel.failMbind(MemPolicy.BIND, Errno.EINVAL).failMbind(MemPolicy.PREFERRED, Errno.EINVAL);
        try (NodeAllocation local = memory.allocate(8 * MIB, 1,
                     NodeMemoryOptions.defaults().withPolicy(PlacementPolicy.PLAIN));
             NodeAllocation spread = memory.allocate(8 * MIB, 1, NodeMemoryOptions.defaults())) {
            assertNotNull(local);
            assertNotNull(spread);
            MemoryStats stats = memory.stats();
            assertEquals(16 * MIB, stats.requestedBytesByNode().get(1));
            // plain memory is touched by a thread whose getcpu says node 0 in the fake; interleave splits 0/1
            assertEquals(12 * MIB, stats.obtainedBytesByNode().get(0), MIB);
            assertEquals(4 * MIB, stats.obtainedBytesByNode().get(1), MIB);
            assertEquals(25.0, stats.localPercent(), 1.0);
        }
        assertEquals(0, memory.stats().requestedBytes());
    }

    private java.lang.foreign.MemorySegment mapped(long bytes) {
        return java.lang.foreign.MemorySegment.ofAddress(kernel.mmapAnonymous(bytes, 0)).reinterpret(bytes);
    }

    @Test
    void bindRangeBindsAnExistingMappingWithoutTouchingItAndPagesFollowThePolicy() {
        var range = mapped(8 * MIB);
        Placement p = memory().bindRange(range, 1, NodeMemoryOptions.defaults());
        assertEquals(PlacementPolicy.BIND, p.policyUsed());
        assertEquals(IdSet.of(1), p.policyNodes());
        assertEquals(List.of(), p.fallbackSteps());
        assertEquals(false, p.touched());
        assertEquals(null, p.residency());
        assertEquals(0, PageResidency.sample(kernel, range, 64).residentPages(), "nothing touched yet");
        kernel.madvise(range.address(), range.byteSize(), numatp.topology.linux.Mmap.MADV_POPULATE_WRITE);
        assertEquals(100.0, PageResidency.sample(kernel, range, 64).percentOn(1), "first touch lands on the bound node");
    }

    @Test
    void bindRangeStepsDownLikeAllocate() {
        sysfs.node(1, "2-3", 4096, 180);
        Placement full = memory().bindRange(mapped(256 * MIB), 1, NodeMemoryOptions.defaults());
        assertEquals(PlacementPolicy.PREFERRED, full.policyUsed());
        assertEquals("node 1 has 180 MiB free, 256 MiB requested: falling back to preferred",
                full.fallbackSteps().getFirst().message());

        kernel.failMbind(null, Errno.EPERM);
        Placement refused = memory().bindRange(mapped(8 * MIB), 1, NodeMemoryOptions.defaults());
        assertEquals(PlacementPolicy.PLAIN, refused.policyUsed());
        assertEquals("bind->plain", refused.fallbackSteps().getFirst().from() + "->" + refused.fallbackSteps().getFirst().to());
        assertTrue(refused.touchNote().contains("first writer"), refused.touchNote());
    }

    @Test
    void bindRangeRefusesUnalignedRangesAndUnknownNodes() {
        var range = mapped(8 * MIB);
        NodeMemoryException unaligned = assertThrows(NodeMemoryException.class,
                () -> memory().bindRange(range.asSlice(64), 1, NodeMemoryOptions.defaults()));
        assertTrue(unaligned.getMessage().startsWith("cannot bind a range that is not page-aligned: address 0x"),
                unaligned.getMessage());
        assertThrows(NodeMemoryException.class, () -> memory().bindRange(range, 5, NodeMemoryOptions.defaults()));
    }

    @Test
    void smapsIsReadForHugePagesOnlyWhenTheThpModeAllowsThemForTheMapping() {
        // smaps claims huge pages everywhere: believed only where THP could have given them.
        sysfs.write("proc/self/smaps", "0-ffffffffffff rw-p 00000000 00:00 0\nAnonHugePages:   262144 kB\n");
        for (String mode : new String[] {"always madvise [never]", "always [madvise] never"}) {
            sysfs.write("sys/kernel/mm/transparent_hugepage/enabled", mode + "\n");
            try (NodeAllocation a = memory().allocate(8 * MIB, 1, NodeMemoryOptions.defaults())) {
                assertEquals(HugePages.OFF, a.placement().hugePagesObtained(), mode);
            }
        }
        sysfs.write("sys/kernel/mm/transparent_hugepage/enabled", "[always] madvise never\n");
        try (NodeAllocation a = memory().allocate(8 * MIB, 1, NodeMemoryOptions.defaults())) {
            assertEquals(HugePages.THP, a.placement().hugePagesObtained());
        }
        assertEquals("madvise", HugePageUsage.selectedMode("always [madvise] never"));
        assertEquals("", HugePageUsage.selectedMode("garbage ["));
    }
}
