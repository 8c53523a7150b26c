package numatp.collectives.numavm;

import numatp.topology.IdSet;
import numatp.topology.numavm.NumaVm;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A real 2-node kernel (QEMU, 1 CPU and 256 MiB per node): a 2-rank group with rank 0 on node 0
 * and rank 1 on node 1 gets each rank's shared region bound to and resident on the rank's node,
 * over threads and over a shared file, and its allreduce is still right. One guest boot and one
 * JVM for both transports; the tests read the probe's output.
 */
@Tag("numa-vm")
@Timeout(value = 400, unit = TimeUnit.SECONDS)
class NumaVmRegionsTest {
    private static NumaVm.Result result;
    private static Map<String, String> probe;

    @BeforeAll
    static void bootGuestOnce() throws Exception {
        NumaVm.assumeAvailable();
        result = NumaVm.runMain(List.of("-n", "2", "-c", "1", "-m", "256"), RegionProbe.class,
                List.of(numatp.collectives.Communicator.class, IdSet.class), "--add-modules jdk.incubator.vector",
                List.of(), 300);
        System.out.println(result.output());
        probe = result.probe();
    }

    @Test
    void guestRanTheProbeToTheEnd() {
        result.assertRanToTheEnd();
    }

    @Test
    void threadGroupRegionsAreBoundAndResidentOnTheirRanksNodes() {
        checkTransport("threads");
    }

    @Test
    void fileGroupRegionsAreBoundAndResidentOnTheirRanksNodes() {
        checkTransport("files");
    }

    private void checkTransport(String transport) {
        assertEquals("ok", probe.get(transport + ".allreduce"), result.output());
        for (int rank = 0; rank < 2; rank++) {
            String key = transport + ".region" + rank;
            assertEquals("bind", probe.get(key + ".policy"), result.output());
            assertEquals(String.valueOf(rank), probe.get(key + ".obtained"), result.output());
            assertEquals("true", probe.get(key + ".onWanted"), probe.get(key + ".summary"));
        }
    }
}
