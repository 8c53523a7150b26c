package numatp.weights;

import numatp.topology.IdSet;
import numatp.topology.linux.Errno;
import numatp.topology.linux.FakeLinuxNuma;
import numatp.topology.linux.FakeSysfs;
import numatp.topology.memory.NodeMemory;
import numatp.topology.memory.NodeMemoryOptions;
import numatp.topology.memory.PlacementPolicy;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Slices carved from NodeMemory chunks on a fake two-node kernel (its mappings are fake
 * addresses: never dereferenced here; first touch runs in a pinned thread).
 */
@Timeout(30)
class NodeSliceAllocatorTest {
    private static final long CHUNK = 64 << 10;

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

    @Test
    void carvesSmallSlicesFromPerNodeChunksAndGivesLargeOnesTheirOwn() {
        try (NodeSliceAllocator a = new NodeSliceAllocator(new NodeMemory(kernel, sysfs.files()),
                NodeMemoryOptions.defaults(), CHUNK)) {
            MemorySegment s0 = a.allocate(0, 100);
            MemorySegment s1 = a.allocate(0, 200);
            MemorySegment t0 = a.allocate(1, 300);
            MemorySegment big = a.allocate(1, CHUNK);
            assertEquals(0, s0.address() % 64);
            assertEquals(0, s1.address() % 64);
            assertEquals(s0.address() + 128, s1.address(), "small slices share a chunk, 64-byte aligned");
            assertEquals(CHUNK, big.byteSize());
            assertEquals(3, a.placements().size(), "one chunk per node plus the large slice");
            assertEquals(Map.of(0, 300L, 1, 300L + CHUNK), a.sliceBytesByNode());
            assertEquals(1.0, a.fractionOnNode(s1, 0));
            assertEquals(1.0, a.fractionOnNode(big, 1));
            assertEquals(0.0, a.fractionOnNode(t0, 0));
            assertTrue(Double.isNaN(a.fractionOnNode(MemorySegment.ofArray(new byte[8]), 0)), "not from here");
            assertEquals("node memory, bind", a.description());
        }
        assertEquals(0, kernel.liveMappings(), "close unmaps every chunk");
    }

    @Test
    void recordsFallbacksAndStillMeasuresWhereThePagesAre() {
        kernel.failMbind(null, Errno.EPERM);
        try (NodeSliceAllocator a = new NodeSliceAllocator(new NodeMemory(kernel, sysfs.files()),
                NodeMemoryOptions.defaults(), CHUNK)) {
            MemorySegment s = a.allocate(1, 1000);
            assertEquals(PlacementPolicy.PLAIN, a.placements().getFirst().policyUsed());
            assertEquals("node memory, plain (asked bind)", a.description());
            var residency = a.placements().getFirst().residency();
            assertEquals(residency.percentOn(1) / 100, a.fractionOnNode(s, 1), "the sampled residency, not the request");
        }
    }

    @Test
    void rejectsEmptySlicesAndTinyChunks() {
        NodeMemory m = new NodeMemory(kernel, sysfs.files());
        assertThrows(WeightsException.class, () -> new NodeSliceAllocator(m, NodeMemoryOptions.defaults(), 100));
        try (NodeSliceAllocator a = new NodeSliceAllocator(m, NodeMemoryOptions.defaults(), CHUNK)) {
            WeightsException e = assertThrows(WeightsException.class, () -> a.allocate(0, 0));
            assertTrue(e.getMessage().contains("slice size must be positive: 0 bytes for node 0"), e.getMessage());
        }
    }
}
