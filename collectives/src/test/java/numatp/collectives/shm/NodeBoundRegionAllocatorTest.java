package numatp.collectives.shm;

import numatp.topology.IdSet;
import numatp.topology.linux.Errno;
import numatp.topology.linux.FakeLinuxNuma;
import numatp.topology.linux.FakeSysfs;
import numatp.topology.memory.NodeMemory;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.ValueLayout;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Against a fake 2-node kernel: the fake's mappings are addresses only, so nothing here touches them. */
class NodeBoundRegionAllocatorTest {
    private static final long REGION = RankLayout.regionBytes(1 << 20);

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

    private NodeBoundRegionAllocator allocator() {
        return new NodeBoundRegionAllocator(new NodeMemory(kernel, sysfs.files()), sysfs.files());
    }

    @Test
    void eachRegionIsMappedAndBoundToItsNodeUntouchedAndUnmappedOnClose() {
        try (NodeBoundRegionAllocator allocator = allocator()) {
            RegionAllocator.AllocatedRegion r0 = allocator.allocate(0, REGION);
            RegionAllocator.AllocatedRegion r1 = allocator.allocate(1, REGION);
            assertEquals("bind", r0.policy());
            assertEquals("bind", r1.policy());
            assertEquals("", r1.note());
            assertEquals(REGION, r1.segment().byteSize());
            assertEquals(0, r1.segment().address() % 4096);
            assertEquals(2, kernel.liveMappings());
        }
        assertEquals(0, kernel.liveMappings());
    }

    @Test
    void aFullNodeFallsBackToPreferredAndSaysWhy() {
        sysfs.node(1, "2-3", 4096, 1);
        try (NodeBoundRegionAllocator allocator = allocator()) {
            RegionAllocator.AllocatedRegion region = allocator.allocate(1, REGION);
            assertEquals("preferred", region.policy());
            assertTrue(region.note().startsWith("bind->preferred: node 1 has 1"), region.note());
        }
    }

    @Test
    void refusedPolicyCallsGivePlainMemory() {
        kernel.failMbind(null, Errno.EPERM);
        try (NodeBoundRegionAllocator allocator = allocator()) {
            RegionAllocator.AllocatedRegion region = allocator.allocate(1, REGION);
            assertEquals("plain", region.policy());
            assertTrue(region.note().contains("EPERM"), region.note());
        }
    }

    @Test
    void aNodeThisMachineLacksGetsUsablePlainMemory() {
        try (NodeBoundRegionAllocator allocator = allocator()) {
            RegionAllocator.AllocatedRegion region = allocator.allocate(3, REGION);
            assertEquals("plain", region.policy());
            assertEquals("node 3 is not a node with memory here (0-1): not bound", region.note());
            region.segment().set(ValueLayout.JAVA_LONG, REGION - 8, 42); // real memory, zeroed
            assertEquals(0, region.segment().get(ValueLayout.JAVA_LONG, 0));
            assertEquals(0, kernel.liveMappings());
        }
    }
}
