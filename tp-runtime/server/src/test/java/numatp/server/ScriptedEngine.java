package numatp.server;

import numatp.models.LlamaConfig;
import numatp.models.tp.SequenceEngine;

import java.util.Arrays;

/**
 * A {@link SequenceEngine} without a model: after each slot's prompt it makes the tokens
 * of a fixed script the only likely ones, one per step, so greedy sampling replays the
 * script. For serving tests of vocabularies numatp's engine cannot run yet.
 */
final class ScriptedEngine implements SequenceEngine {
    private final LlamaConfig config;
    private final int[] script;
    private final int slotPositions;
    private final int[] outputs; // [slots] logits handed out since the slot started at position 0
    private long steps;
    private long entries;

    ScriptedEngine(int vocabSize, int slots, int slotPositions, int... script) {
        this.config = new LlamaConfig(8, 8, 1, 1, 1, vocabSize, slotPositions, 10000f, 1e-5f);
        this.script = script.clone();
        this.slotPositions = slotPositions;
        this.outputs = new int[slots];
    }

    @Override
    public LlamaConfig config() {
        return config;
    }

    @Override
    public int slots() {
        return outputs.length;
    }

    @Override
    public int slotPositions() {
        return slotPositions;
    }

    @Override
    public int maxBatchEntries() {
        return outputs.length + 16;
    }

    @Override
    public void step(int n, int[] tokens, int[] slots, int[] positions, float[][] logits) {
        steps++;
        entries += n;
        for (int i = 0; i < n; i++) {
            if (positions[i] == 0) {
                outputs[slots[i]] = 0;
            }
            if (logits[i] != null) {
                Arrays.fill(logits[i], 0f);
                int k = outputs[slots[i]]++;
                logits[i][script[Math.min(k, script.length - 1)]] = 100f;
            }
        }
    }

    @Override
    public Counters counters() {
        return new Counters(steps, entries, 0, 0);
    }

    @Override
    public void close() {
    }
}
