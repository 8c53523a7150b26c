package numatp.runtime.process;

import numatp.models.LlamaConfig;
import numatp.models.tp.TpEngine;

import java.util.ArrayList;
import java.util.List;

/**
 * The JVM options of one worker process, from its share of the plan. The weights and KV caches
 * are off-heap (node memory), so the heap holds the per-shard activation buffers and the logits:
 * {@code -Xmx} is {@link #BASE_HEAP_BYTES} plus twice an upper bound of those for the worker's
 * shards. The garbage collector gets the worker's CPUs ({@code -XX:ParallelGCThreads}; a quarter of
 * them, at least one, concurrent), not the machine's. The system property {@value #EXTRA_OPTIONS}
 * (space-separated JVM options) is appended, e.g. to log a worker's GC or, in a slow emulated
 * guest, to stop its JIT at C1.
 */
final class WorkerJvm {
    /** Heap every worker gets besides its buffers (class metadata lives elsewhere; this covers the JDK's own objects). */
    static final long BASE_HEAP_BYTES = 256L << 20;
    /** The coordinator's system property whose JVM options every worker gets too. */
    static final String EXTRA_OPTIONS = "numatp.worker.jvmOptions";

    private WorkerJvm() {
    }

    static List<String> options(LlamaConfig c, TpEngine.Capacity capacity, int shards, int cpus) {
        long perEntry = 6L * c.dim() + 2L * c.kvDim() + 2L * c.hiddenDim() + 2L * c.vocabSize();
        long buffers = 4L * (shards * (capacity.maxBatchEntries() * perEntry + capacity.slotPositions())
                + (long) capacity.maxBatchEntries() * c.vocabSize());
        long heapMiB = (BASE_HEAP_BYTES + 2 * buffers + (1 << 20) - 1) >> 20;
        int gcThreads = Math.max(1, cpus);
        List<String> options = new ArrayList<>(List.of("-Xmx" + heapMiB + "m", "-XX:ParallelGCThreads=" + gcThreads,
                "-XX:ConcGCThreads=" + Math.max(1, gcThreads / 4)));
        for (String extra : System.getProperty(EXTRA_OPTIONS, "").strip().split("\\s+")) {
            if (!extra.isEmpty()) {
                options.add(extra);
            }
        }
        return List.copyOf(options);
    }
}
