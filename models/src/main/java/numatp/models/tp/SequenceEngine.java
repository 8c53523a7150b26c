package numatp.models.tp;

import numatp.models.LlamaConfig;

/**
 * A model that advances many sequences at once: what a server's scheduler drives.
 * Each sequence owns one KV-cache slot (an index in [0, slots())) from its first token
 * to its last; the caller decides which slots are in use. Writing position 0 of a slot
 * starts a new sequence there (older positions are simply overwritten).
 *
 * <p>One {@link #step} runs the forward pass for a batch of entries on every shard:
 * the weights are read once for the whole batch, and each layer needs one allreduce
 * for the batch, not one per entry. A prompt is fed as several entries of one slot
 * with consecutive positions (prefill); a decoding sequence contributes one entry.
 *
 * <p>Not thread-safe: one caller (the scheduler thread) at a time.
 */
public interface SequenceEngine extends AutoCloseable {
    LlamaConfig config();

    /** KV-cache slots: the most sequences in flight at once. */
    int slots();

    /** Positions per slot: a sequence's prompt plus output must fit in this many tokens. */
    int slotPositions();

    /** The most entries one {@link #step} accepts. */
    int maxBatchEntries();

    /**
     * One forward step over entries [0, n). Entry i feeds {@code tokens[i]} at position
     * {@code positions[i]} of slot {@code slots[i]}. Entries of one slot must be adjacent
     * in the arrays, with consecutive increasing positions, and the first of them must
     * continue what the slot already holds (position 0 or the slot's next position).
     * For every i with {@code logits[i] != null} the logits of the token after entry i
     * are written into {@code logits[i]} (length {@code config().vocabSize()}); entries
     * with null logits (prompt tokens whose successor is known) skip the output head.
     *
     * <p>For one slot fed one entry per step from position 0, the logits are bitwise
     * those of the single-sequence forward pass (run.c's arithmetic with one shard).
     *
     * @throws numatp.models.ModelException for arguments that break the rules above
     */
    void step(int n, int[] tokens, int[] slots, int[] positions, float[][] logits);

    /**
     * Whether a failed {@link #step} left the engine unable to run another (its shards out of
     * step, its communicators aborted). A step refused before it ran (arguments that break the
     * rules) leaves it usable, and so does a failure the engine has recovered from; then the
     * caller may retry with other entries. A caller that sees {@code true} can only close it.
     */
    default boolean broken() {
        return false;
    }

    /**
     * Whether the engine can run steps, for a health check or a router; any thread may ask. The
     * default says {@code failed} once the engine is {@link #broken}.
     */
    default EngineHealth health() {
        return broken() ? EngineHealth.failed("the engine failed in an earlier step and cannot continue", 0)
                : EngineHealth.OK;
    }

    /**
     * Brings a {@link #broken} engine back if it can (an engine of worker processes starts them
     * again): blocks until it can run steps again and returns true, or gives up and returns false
     * ({@link #health} then says {@code failed}). After a recovery every slot's KV cache is empty:
     * each slot must start again at position 0. An engine that is not broken returns true at once;
     * the default cannot recover. Called by the engine's one caller, as {@link #step}.
     */
    default boolean recover() {
        return !broken();
    }

    /** Counters since the engine started (measured on shard 0). */
    Counters counters();

    /** Frees the weights, KV caches, shard threads and communicators. */
    @Override
    void close();

    /**
     * Cumulative work: steps run, entries processed, nanoseconds inside {@link #step},
     * and nanoseconds of that spent in collectives (allreduce, allgather) on shard 0.
     */
    record Counters(long steps, long entries, long stepNs, long collectiveNs) {
        /** Share of step time spent in collectives, 0 when nothing ran. */
        public double collectiveShare() {
            return stepNs == 0 ? 0 : (double) collectiveNs / stepNs;
        }
    }
}
