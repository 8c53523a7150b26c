package numatp.runtime.numavm;

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
 * In a real 2-node kernel (QEMU, 2 CPUs per node: CPUs 0-1 on node 0, 2-3 on node 1), the
 * planner's shards run where it put them: two shards on node 1, and four shards over nodes
 * 0 and 1, each checked with getcpu from inside a step.
 */
@Tag("numa-vm")
@Timeout(value = 400, unit = TimeUnit.SECONDS)
class NumaVmShardWorkersTest {
    private static NumaVm.Result result;
    private static Map<String, String> probe;

    @BeforeAll
    static void bootGuestOnce() throws Exception {
        NumaVm.assumeAvailable();
        result = NumaVm.runMain(List.of("-n", "2", "-c", "2", "-m", "512"), ShardWorkersProbe.class,
                List.of(numatp.runtime.workers.ShardWorkers.class, numatp.topology.Topology.class,
                        numatp.collectives.team.ShardGroup.class, numatp.models.tp.Reduction.class,
                        com.fasterxml.jackson.databind.ObjectMapper.class, com.fasterxml.jackson.core.JsonParser.class,
                        com.fasterxml.jackson.annotation.JsonProperty.class),
                "", List.of("2", "1", "4", "0,1"), 300);
        System.out.println(result.output());
        probe = result.probe();
    }

    @Test
    void guestRanTheProbeToTheEnd() {
        result.assertRanToTheEnd();
    }

    @Test
    void shardsPlannedOnNodeOneRunOnNodeOne() {
        for (int s = 0; s < 2; s++) {
            String key = "case.2.1.shard" + s;
            assertEquals("1", probe.get(key + ".planned").split(":")[0], result.output());
            assertEquals("1", probe.get(key + ".ran").split(":")[0], result.output());
            assertEquals(probe.get(key + ".planned").split(":")[1], probe.get(key + ".ran").split(":")[1],
                    "ran on its planned CPU\n" + result.output());
            assertEquals("match", probe.get(key + ".verdict"), result.output());
        }
    }

    @Test
    void fourShardsOverTwoNodesEachRunOnTheirPlannedNodeAndCpu() {
        for (int s = 0; s < 4; s++) {
            String key = "case.4.0_1.shard" + s;
            String planned = probe.get(key + ".planned");
            String ran = probe.get(key + ".ran");
            assertEquals(planned.split(":")[0], ran.split(":")[0], "node of shard " + s + "\n" + result.output());
            assertEquals(planned.split(":")[1], ran.split(":")[1], "CPU of shard " + s + "\n" + result.output());
            assertEquals("match", probe.get(key + ".verdict"), result.output());
        }
        assertEquals("0", probe.get("case.4.0_1.shard0.planned").split(":")[0], "consecutive ranks per node");
        assertEquals("1", probe.get("case.4.0_1.shard3.planned").split(":")[0], "consecutive ranks per node");
    }
}
