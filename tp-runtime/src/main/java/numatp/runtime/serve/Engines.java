package numatp.runtime.serve;

import numatp.collectives.Communicator;
import numatp.runtime.engine.CollectiveSettings;
import numatp.collectives.shm.ThreadTransport;
import numatp.models.LlamaConfig;
import numatp.models.tp.SequenceEngine;
import numatp.models.tp.TpEngine;
import numatp.runtime.config.NumaTensorParallelConfig;
import numatp.weights.ModelTensors;
import numatp.weights.SliceAllocator;

/**
 * Builds the {@link SequenceEngine} {@code tp serve} runs (the batched tensor-parallel
 * {@link TpEngine}, its shards' communicators on the planned nodes) and says what it holds.
 */
public final class Engines {
    /** Prompt tokens one step may carry besides the decode entries (bounds a step's latency). */
    public static final int PREFILL_CHUNK = 256;

    /** An engine and the weight bytes it copied. */
    public record Loaded(SequenceEngine engine, long replicatedBytes, long shardedBytes) {
    }

    private Engines() {
    }

    /**
     * @param nodeOfRank the planned node of each shard (its length is the shard count)
     * @param config     the collective settings (algorithm, timeout) of {@code --collective-*}
     */
    public static Loaded build(ModelTensors model, int slots, int slotPositions, SliceAllocator allocator,
                               int[] nodeOfRank, NumaTensorParallelConfig config) {
        int shards = nodeOfRank.length;
        Communicator[] comms = ThreadTransport.create(nodeOfRank, CollectiveSettings.of(config))
                .toArray(new Communicator[0]);
        TpEngine engine;
        try {
            engine = new TpEngine(model, shards, new TpEngine.Capacity(slots, slotPositions, slots + PREFILL_CHUNK),
                    allocator, comms);
        } catch (RuntimeException e) {
            for (Communicator c : comms) {
                c.close();
            }
            throw e;
        }
        return new Loaded(engine, engine.replicatedBytes(), engine.shardedBytes());
    }

    /** KV-cache bytes of all slots, summed over shards (f32 keys and values). */
    public static long kvCacheBytes(LlamaConfig c, int slots, int slotPositions) {
        return 2L * 4 * c.layers() * c.kvDim() * slotPositions * slots;
    }
}
