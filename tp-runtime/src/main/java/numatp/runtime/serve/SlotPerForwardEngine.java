package numatp.runtime.serve;

import numatp.collectives.Communicator;
import numatp.collectives.CommunicatorConfig;
import numatp.collectives.shm.ThreadTransport;
import numatp.models.LlamaConfig;
import numatp.models.ModelException;
import numatp.models.tp.SequenceEngine;
import numatp.models.tp.ShardForward;
import numatp.models.tp.ShardPlan;
import numatp.models.tp.ShardWeights;
import numatp.weights.ModelTensors;
import numatp.weights.SliceAllocator;
import numatp.weights.TensorSlicer;

import java.lang.foreign.Arena;

/**
 * The naive {@link SequenceEngine}: one single-shard {@link ShardForward} (with its own
 * KV cache) per slot over one shared copy of the weights, every entry of a step run
 * alone, in order. Nothing is batched, so its logits are exactly the single-sequence
 * forward pass whatever the batch holds: the twin a batched engine is checked against.
 * It checks the step contract strictly, so a scheduler that breaks it fails loudly.
 */
public final class SlotPerForwardEngine implements SequenceEngine {
    private final LlamaConfig config;
    private final ShardForward[] forwards; // [slots]
    private final int[] nextPosition; // [slots] position the slot continues at; 0 = empty
    private final int slotPositions;
    private final int maxBatchEntries;
    private final Communicator comm;
    private final Arena arena;
    private final long replicatedBytes;
    private final long shardedBytes;
    private long steps;
    private long entries;
    private long stepNs;

    /**
     * Copies {@code model}'s weights once (node 0 of {@code allocator}) and makes
     * {@code slots} KV caches of {@code slotPositions} positions.
     */
    public SlotPerForwardEngine(ModelTensors model, int slots, int slotPositions, int maxBatchEntries,
                                SliceAllocator allocator) {
        this.config = LlamaConfig.of(model.hp());
        if (slots < 1) {
            throw new ModelException("slots must be >= 1: " + slots);
        }
        if (slotPositions < 1 || slotPositions > config.contextLength()) {
            throw new ModelException("positions per slot must be in [1, " + config.contextLength() + "]: "
                    + slotPositions);
        }
        if (maxBatchEntries < 1) {
            throw new ModelException("max batch entries must be >= 1: " + maxBatchEntries);
        }
        this.slotPositions = slotPositions;
        this.maxBatchEntries = maxBatchEntries;
        int granule = model.tensor("blk.0.ffn_down.weight").type().blockElements();
        ShardPlan plan = new ShardPlan(config, 1, granule);
        TensorSlicer slicer = new TensorSlicer(allocator);
        ShardWeights weights = ShardWeights.slice(model, plan, 0, 0, slicer, new ShardWeights.Replicas(slicer));
        this.replicatedBytes = slicer.replicatedBytes();
        this.shardedBytes = slicer.shardedBytes();
        // A group of one: ShardForward skips every collective, so all slots may share it.
        this.comm = ThreadTransport.create(new int[1], CommunicatorConfig.defaults()).getFirst();
        this.arena = Arena.ofShared();
        this.forwards = new ShardForward[slots];
        for (int s = 0; s < slots; s++) {
            forwards[s] = new ShardForward(plan, 0, weights, comm, slotPositions, arena);
        }
        this.nextPosition = new int[slots];
    }

    @Override
    public LlamaConfig config() {
        return config;
    }

    @Override
    public int slots() {
        return forwards.length;
    }

    @Override
    public int slotPositions() {
        return slotPositions;
    }

    @Override
    public int maxBatchEntries() {
        return maxBatchEntries;
    }

    public long replicatedBytes() {
        return replicatedBytes;
    }

    public long shardedBytes() {
        return shardedBytes;
    }

    @Override
    public void step(int n, int[] tokens, int[] slots, int[] positions, float[][] logits) {
        check(n, tokens, slots, positions, logits);
        long t0 = System.nanoTime();
        final int vocab = config.vocabSize();
        for (int i = 0; i < n; i++) {
            float[] out = forwards[slots[i]].forward(tokens[i], positions[i]);
            nextPosition[slots[i]] = positions[i] + 1;
            if (logits[i] != null) {
                System.arraycopy(out, 0, logits[i], 0, vocab);
            }
        }
        steps++;
        entries += n;
        stepNs += System.nanoTime() - t0;
    }

    /** The contract of {@link SequenceEngine#step}, checked before anything runs. */
    private void check(int n, int[] tokens, int[] slots, int[] positions, float[][] logits) {
        if (n < 0 || n > maxBatchEntries || n > tokens.length || n > slots.length || n > positions.length
                || n > logits.length) {
            throw new ModelException("step of " + n + " entries: must be in [0, " + maxBatchEntries
                    + "] and within every array");
        }
        for (int i = 0; i < n; i++) {
            int slot = slots[i];
            if (slot < 0 || slot >= forwards.length) {
                throw new ModelException("entry " + i + ": slot " + slot + " outside [0, " + forwards.length + ")");
            }
            if (tokens[i] < 0 || tokens[i] >= config.vocabSize()) {
                throw new ModelException("entry " + i + ": token " + tokens[i] + " outside the vocabulary");
            }
            int pos = positions[i];
            if (pos < 0 || pos >= slotPositions) {
                throw new ModelException("entry " + i + ": position " + pos + " outside [0, " + slotPositions + ")");
            }
            boolean continuesRun = i > 0 && slots[i - 1] == slot;
            if (continuesRun) {
                if (pos != positions[i - 1] + 1) {
                    throw new ModelException("entry " + i + ": slot " + slot + " position " + pos + " after "
                            + positions[i - 1]);
                }
            } else {
                if (pos != 0 && pos != nextPosition[slot]) {
                    throw new ModelException("entry " + i + ": slot " + slot + " continues at " + nextPosition[slot]
                            + ", not " + pos);
                }
                for (int j = 0; j < i; j++) {
                    if (slots[j] == slot) {
                        throw new ModelException("entry " + i + ": entries of slot " + slot + " are not adjacent");
                    }
                }
            }
            if (logits[i] != null && logits[i].length < config.vocabSize()) {
                throw new ModelException("entry " + i + ": logits array of " + logits[i].length + " < vocabulary "
                        + config.vocabSize());
            }
        }
    }

    @Override
    public Counters counters() {
        return new Counters(steps, entries, stepNs, 0);
    }

    @Override
    public void close() {
        comm.close();
        arena.close();
    }
}
