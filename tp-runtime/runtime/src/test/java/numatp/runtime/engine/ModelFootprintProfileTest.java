package numatp.runtime.engine;

import numatp.models.ModelFiles;
import numatp.runtime.config.NumaTensorParallelConfig;
import numatp.runtime.plan.ModelProfile;
import numatp.runtime.plan.ReplicaPlan;
import numatp.runtime.plan.ReplicaPlanner;
import numatp.topology.SharedData;
import numatp.topology.TopologyDetector;
import numatp.weights.ModelTensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A loaded model's profile for the layout planner: its real size, depth, width and heads. */
@Timeout(60)
class ModelFootprintProfileTest {
    @Test
    void storiesProfileHasTheCheckpointsShapeAndTheFootprintForEveryShardCount() {
        try (ModelTensors model = ModelFiles.open(SharedData.require("models", "stories260K.bin"))) {
            ModelProfile profile = ModelFootprint.profile(model, 4, 256);
            assertEquals(ModelFootprint.tensorBytes(model), profile.weightBytes());
            assertEquals(model.hp().layers(), profile.layers());
            assertEquals(model.hp().dim(), profile.hiddenSize());
            assertEquals(model.hp().heads(), profile.maxShards());
            for (int shards = 1; shards <= model.hp().heads(); shards++) {
                assertEquals(ModelFootprint.of(model, shards, 4, 256), profile.memoryForShards().apply(shards));
            }
            ReplicaPlan plan = ReplicaPlanner.plan(TopologyDetector.detect(), NumaTensorParallelConfig.builder()
                    .replicas(NumaTensorParallelConfig.AUTO_REPLICAS).build(), profile, 4);
            assertEquals(4, plan.chosen().concurrency(), "the derived concurrency stands in for a left-out flag");
            assertTrue(plan.shardsPerReplica() <= model.hp().heads());
        }
    }
}
