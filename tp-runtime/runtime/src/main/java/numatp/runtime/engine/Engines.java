package numatp.runtime.engine;

import numatp.models.LlamaConfig;
import numatp.models.tp.SequenceEngine;
import numatp.models.tp.TpEngine;

/**
 * Sizing shared by {@code tp serve} and its tests for the {@link SequenceEngine} it runs (the
 * batched tensor-parallel {@link TpEngine}, built by {@code TpRuntime}).
 */
public final class Engines {
    /** Prompt tokens one step may carry besides the decode entries (bounds a step's latency). */
    public static final int PREFILL_CHUNK = 256;

    /** An engine and the weight bytes it copied. */
    public record Loaded(SequenceEngine engine, long replicatedBytes, long shardedBytes) {
    }

    private Engines() {
    }

    /** KV-cache bytes of all slots, summed over shards (f32 keys and values). */
    public static long kvCacheBytes(LlamaConfig c, int slots, int slotPositions) {
        return 2L * 4 * c.layers() * c.kvDim() * slotPositions * slots;
    }
}
