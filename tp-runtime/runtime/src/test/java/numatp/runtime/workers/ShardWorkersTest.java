package numatp.runtime.workers;

import numatp.runtime.config.NumaTensorParallelConfig;
import numatp.runtime.plan.ModelMemory;
import numatp.runtime.plan.PlacementPlan;
import numatp.runtime.plan.PlacementPlanner;
import numatp.topology.IdSet;
import numatp.topology.SharedCaptures;
import numatp.topology.Topology;
import numatp.topology.TopologyDetector;
import numatp.topology.binding.ShardBinding;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ShardWorkersTest {
    private static Topology capture(String name) throws Exception {
        var expected = new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                SharedCaptures.sharedTopologies().resolve(name).resolve("expected.json").toFile());
        return TopologyDetector.detect(SharedCaptures.root(name, expected.get("fsroot").asText()));
    }

    @Test
    void aShardWithCpusOfItsOwnIsPinnedOneCpuPerThread() throws Exception {
        Topology t = capture("32em64t-2n8c+dax+nvme+mic+dimms");
        PlacementPlan plan = PlacementPlanner.plan(t,
                NumaTensorParallelConfig.builder().shards(8).numaNodes(0, 1).build(), ModelMemory.NONE);
        List<ShardBinding> bindings = ShardWorkers.bindings(plan);
        for (int s = 0; s < 8; s++) {
            ShardBinding b = bindings.get(s);
            assertFalse(b.shareCpus(), b.toString());
            assertEquals(plan.shard(s).cpus(), b.cpus());
            assertEquals(IdSet.of(plan.shard(s).cpus().first()), b.cpusOfThread(0));
        }
    }

    @Test
    void shardsOfAnOversubscribedNodeShareTheNodesPlannedCpus() throws Exception {
        Topology t = capture("16amd64-8n2c-cpusets");
        PlacementPlan plan = PlacementPlanner.plan(t, NumaTensorParallelConfig.builder().shards(16).build(),
                ModelMemory.NONE);
        assertTrue(plan.oversubscribed());
        for (ShardBinding b : ShardWorkers.bindings(plan)) {
            IdSet nodeCpus = IdSet.empty();
            for (var s : plan.shards()) {
                if (s.node() == b.node()) {
                    nodeCpus = nodeCpus.union(s.cpus());
                }
            }
            assertTrue(b.shareCpus(), b.toString());
            assertEquals(nodeCpus, b.cpus(), "shard " + b.shard());
            assertEquals(nodeCpus, b.cpusOfThread(0));
        }
    }
}
