package numatp.server;

import numatp.models.LlamaConfig;
import numatp.models.ModelException;
import numatp.models.tp.SequenceEngine;
import numatp.models.tp.TpEngine;
import numatp.weights.ModelTensors;
import numatp.weights.SliceAllocator;

/**
 * The naive twin of a batched {@link SequenceEngine}: one single-shard, single-slot
 * {@link TpEngine} per slot (each with its own copy of the weights), every entry of a
 * step fed alone, in order. Nothing is batched, so a slot's logits are exactly the
 * single-sequence forward pass whatever else the step holds. It checks the step
 * contract itself, so a scheduler that breaks it fails loudly.
 */
final class SlotPerForwardEngine implements SequenceEngine {
    private final LlamaConfig config;
    private final TpEngine[] perSlot; // [slots]
    private final int[] nextPosition; // [slots] position the slot continues at; 0 = empty
    private final int slotPositions;
    private final int maxBatchEntries;
    private final int[] one = new int[1];
    private final int[] zero = new int[1];
    private final int[] position = new int[1];
    private final float[][] logits1 = new float[1][];
    private long steps;
    private long entries;
    private long stepNs;

    SlotPerForwardEngine(ModelTensors model, int slots, int slotPositions, int maxBatchEntries,
                         SliceAllocator allocator) {
        this.config = LlamaConfig.of(model.hp());
        if (slots < 1 || maxBatchEntries < 1) {
            throw new ModelException("slots and max batch entries must be >= 1: " + slots + ", " + maxBatchEntries);
        }
        this.slotPositions = slotPositions;
        this.maxBatchEntries = maxBatchEntries;
        this.perSlot = new TpEngine[slots];
        for (int s = 0; s < slots; s++) {
            perSlot[s] = new TpEngine(model, 1, new TpEngine.Capacity(1, slotPositions, 1), allocator, null);
        }
        this.nextPosition = new int[slots];
    }

    @Override
    public LlamaConfig config() {
        return config;
    }

    @Override
    public int slots() {
        return perSlot.length;
    }

    @Override
    public int slotPositions() {
        return slotPositions;
    }

    @Override
    public int maxBatchEntries() {
        return maxBatchEntries;
    }

    @Override
    public void step(int n, int[] tokens, int[] slots, int[] positions, float[][] logits) {
        check(n, tokens, slots, positions, logits);
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            one[0] = tokens[i];
            position[0] = positions[i];
            logits1[0] = logits[i];
            perSlot[slots[i]].step(1, one, zero, position, logits1);
            nextPosition[slots[i]] = positions[i] + 1;
        }
        logits1[0] = null;
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
            if (slot < 0 || slot >= perSlot.length) {
                throw new ModelException("entry " + i + ": slot " + slot + " outside [0, " + perSlot.length + ")");
            }
            if (tokens[i] < 0 || tokens[i] >= config.vocabSize()) {
                throw new ModelException("entry " + i + ": token " + tokens[i] + " outside the vocabulary");
            }
            int pos = positions[i];
            if (pos < 0 || pos >= slotPositions) {
                throw new ModelException("entry " + i + ": position " + pos + " outside [0, " + slotPositions + ")");
            }
            if (i > 0 && slots[i - 1] == slot) {
                if (pos != positions[i - 1] + 1) {
                    throw new ModelException("entry " + i + ": slot " + slot + " position " + pos + " after "
                            + positions[i - 1]);
                }
                continue;
            }
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
    }

    @Override
    public Counters counters() {
        return new Counters(steps, entries, stepNs, 0);
    }

    @Override
    public void close() {
        for (TpEngine e : perSlot) {
            e.close();
        }
    }
}
