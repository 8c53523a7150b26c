package numatp.models.tp;

import numatp.models.LlamaConfig;
import numatp.models.RandomModels;
import numatp.weights.ArenaSliceAllocator;
import numatp.weights.ModelTensors;
import numatp.weights.NodeSliceAllocator;
import numatp.weights.TensorType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The engine's placement statistics: bytes per node and shard, replicated vs sharded, local share. */
class WeightPlacementTest {
    private static final LlamaConfig SHAPE = new LlamaConfig(64, 96, 2, 8, 4, 67, 16, 10000f, 1e-5f);

    @Test
    @Timeout(30)
    void countsReplicasOncePerNodeAndEveryShardsSlicesAndCaches() {
        ModelTensors m = RandomModels.create(SHAPE, TensorType.Q8_0, 5);
        try (Arena arena = Arena.ofShared();
             TpEngine e = new TpEngine(m, 3, new TpEngine.Capacity(2, 16, 4), new ArenaSliceAllocator(arena), null)) {
            WeightPlacement p = e.placement();
            assertEquals(1, p.nodes().size());
            assertEquals(e.replicatedBytes(), p.replicatedBytes());
            assertEquals(e.shardedBytes(), p.shardedBytes());
            // Replicas: embedding [67, 64] f32, 2 x 2 layer norms and the output norm, once for node 0.
            assertEquals(4L * (67 * 64 + 5 * 64), p.replicatedBytes());
            long kv = 0;
            for (int s = 0; s < 3; s++) {
                kv += 2L * SHAPE.layers() * 2 * 16 * e.plan().kvCount(s) * SHAPE.headSize() * 4;
                WeightPlacement.ShardBytes sb = p.shards().get(s);
                assertEquals(s, sb.shard());
                assertTrue(sb.weightBytes() > p.replicatedBytes(), "a shard reads its slices and the replicas");
                assertTrue(Double.isNaN(sb.weightLocalPercent()), "an unbound arena cannot say");
            }
            assertEquals(kv, p.kvCacheBytes());
            assertTrue(p.summary().contains("local unknown (unbound arena)"), p.summary());
        }
        m.close();
    }

    @Test
    @Timeout(30)
    void nodeMemoryReportsWhereTheBytesAre() {
        ModelTensors m = RandomModels.create(SHAPE, TensorType.F32, 6);
        try (NodeSliceAllocator alloc = NodeSliceAllocator.system();
             TpEngine e = new TpEngine(m, 2, new TpEngine.Capacity(1, 16, 2), alloc, null)) {
            WeightPlacement p = e.placement();
            double local = p.localPercent();
            // On a NUMA-capable kernel this is 100 (bound to node 0); where policies are refused it is
            // the sampled residency, or unknown when even that cannot be read.
            assertTrue(Double.isNaN(local) || (local >= 0 && local <= 100.0001), p.summary());
            assertTrue(p.summary().contains("node memory"), p.summary());
            assertEquals(alloc.sliceBytesByNode().get(0), p.weightBytes() + p.kvCacheBytes());
            float[][] out = {new float[SHAPE.vocabSize()]};
            e.step(1, new int[] {3}, new int[1], new int[1], out);
            assertTrue(Float.isFinite(out[0][0]), "the engine runs on node memory");
        }
        m.close();
    }
}
