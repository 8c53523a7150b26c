package numatp.collectives;

import numatp.collectives.shm.FileGroups;
import numatp.collectives.shm.ThreadTransport;
import numatp.topology.linux.KernelFiles;
import numatp.topology.linux.LinuxNuma;
import numatp.topology.linux.PolicySupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * On this machine's real kernel: groups bind each rank's region to its node when the node
 * exists (plain memory where policy calls are refused or the node is simulated) and report
 * where the pages are. The 2-node case runs in {@code numavm.NumaVmRegionsTest}.
 */
@Timeout(60)
class RegionPlacementTest {
    private static final long COUNT = 1 << 18; // 1 MiB of f32: the whole of slot 0 gets written

    @TempDir
    Path tmp;

    /** What an existing node's region gets here: bind where policy calls work, else plain. */
    private static String expectedPolicy() {
        LinuxNuma numa = LinuxNuma.system();
        return numa.isNative() && PolicySupport.of(numa).permitted() ? "bind" : "plain";
    }

    @Test
    void threadGroupRegionsOnThisMachinesNodeAreBoundAndResidentThere() throws Exception {
        int node = KernelFiles.system().nodesWithMemory().first();
        checkResidentOnNode(ThreadTransport.create(new int[] {node, node}, CommunicatorConfig.defaults()), node);
    }

    @Test
    void fileGroupRegionsOnThisMachinesNodeAreBoundAndEveryRankSeesThePolicy() throws Exception {
        int node = KernelFiles.system().nodesWithMemory().first();
        checkResidentOnNode(FileGroups.join(tmp, new int[] {node, node}, CommunicatorConfig.defaults()), node);
    }

    private static void checkResidentOnNode(List<Communicator> group, int node) throws Exception {
        try (Arena arena = Arena.ofShared()) {
            RankThreads.run(group, "placement", c -> {
                MemorySegment buffer = arena.allocate(COUNT * 4);
                c.allReduce(buffer, COUNT, ElementType.F32);
            });
            for (Communicator c : group) {
                List<RegionPlacement> placements = c.regionPlacements();
                assertEquals(2, placements.size());
                for (RegionPlacement p : placements) {
                    assertEquals(node, p.wantedNode());
                    assertEquals(expectedPolicy(), p.policy(), p.summary());
                    if (LinuxNuma.system().isNative() && PolicySupport.of(LinuxNuma.system()).permitted()) {
                        assertNotNull(p.residency(), p.summary());
                        assertTrue(p.onWantedNode(), p.summary());
                        assertEquals(node, p.obtainedNode());
                    }
                }
            }
        } finally {
            group.forEach(Communicator::close);
        }
    }

    @Test
    void aSimulatedNodeGetsPlainMemoryAndTheReason() {
        int missing = KernelFiles.system().onlineNodes().last() + 1;
        List<Communicator> group = ThreadTransport.create(new int[] {0, missing}, CommunicatorConfig.defaults());
        try {
            RegionPlacement p = group.get(0).regionPlacements().get(1);
            assertEquals("plain", p.policy());
            assertTrue(p.note().startsWith("node " + missing + " is not a node with memory here"), p.note());
            assertTrue(p.summary().startsWith("rank 1: node " + missing + " wanted, "), p.summary());
        } finally {
            group.forEach(Communicator::close);
        }
    }
}
