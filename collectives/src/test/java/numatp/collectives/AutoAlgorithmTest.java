package numatp.collectives;

import numatp.collectives.shm.FileGroups;
import numatp.collectives.shm.ShmCommunicator;
import numatp.collectives.shm.ThreadTransport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class AutoAlgorithmTest {
    @TempDir
    Path tmp;

    private static Algorithm resolve(List<Communicator> group, long bytes) {
        try {
            return ((ShmCommunicator) group.getFirst()).resolve(bytes);
        } finally {
            group.forEach(Communicator::close);
        }
    }

    @Test
    void oneNodeThreadGroupWithACpuPerRankGoesDirectAboveTwoKibibytesInAll() {
        assumeTrue(Runtime.getRuntime().availableProcessors() >= 2, "needs a CPU per rank");
        CommunicatorConfig config = CommunicatorConfig.defaults();
        assertEquals(Algorithm.ONESHOT, resolve(ThreadTransport.create(new int[] {0, 0}, config), 1024));
        assertEquals(Algorithm.HIERARCHICAL, resolve(ThreadTransport.create(new int[] {0, 0}, config), 4096));
    }

    @Test
    void otherGroupsKeepOneshotUpToTheConfiguredBytesTimesRanks() throws Exception {
        CommunicatorConfig config = CommunicatorConfig.defaults();
        int many = Runtime.getRuntime().availableProcessors() + 1;
        assertEquals(Algorithm.ONESHOT, resolve(ThreadTransport.create(new int[] {0, 1}, config), 64 << 10));
        assertEquals(Algorithm.HIERARCHICAL, resolve(ThreadTransport.create(new int[] {0, 1}, config), 128 << 10));
        assertEquals(Algorithm.ONESHOT, resolve(ThreadTransport.create(new int[many], config), (128 << 10) / many));
        assertEquals(Algorithm.ONESHOT, resolve(FileGroups.join(tmp, new int[] {0, 0}, config.withSlotBytes(4096)), 4096));
        assertEquals(Algorithm.ONESHOT, resolve(ThreadTransport.create(new int[] {0}, config), 1 << 30));
    }
}
