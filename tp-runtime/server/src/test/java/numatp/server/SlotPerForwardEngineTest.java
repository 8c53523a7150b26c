package numatp.server;

import numatp.models.ModelException;
import numatp.models.tp.TpEngine;
import numatp.weights.ArenaSliceAllocator;
import numatp.weights.ModelTensors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The twin engine, and the batched {@link TpEngine} checked against it: random schedules
 * of prompt chunks and decodes over several slots give the twin's logits (bitwise on one
 * shard, within float tolerance on two).
 */
class SlotPerForwardEngineTest {
    static Arena arena;
    static SlotPerForwardEngine engine;
    static int vocab;

    @BeforeAll
    static void load() {
        arena = Arena.ofShared();
        try (ModelTensors model = BuiltinModel.create(arena)) {
            engine = new SlotPerForwardEngine(model, 3, 16, 8, new ArenaSliceAllocator(arena));
        }
        vocab = engine.config().vocabSize();
    }

    @AfterAll
    static void close() {
        engine.close();
        arena.close();
    }

    @Test
    void slotLogitsDoNotDependOnTheRestOfTheBatch() {
        float[] alone = new float[vocab];
        engine.step(2, new int[] {1, 70}, new int[] {0, 0}, new int[] {0, 1}, new float[][] {null, alone});
        float[] batched = new float[vocab];
        float[] other = new float[vocab];
        // slot 2 starts the same sequence while slot 1 runs another, in one step
        engine.step(5, new int[] {1, 80, 81, 1, 70}, new int[] {1, 1, 1, 2, 2}, new int[] {0, 1, 2, 0, 1},
                new float[][] {null, null, other, null, batched});
        assertArrayEquals(alone, batched);
    }

    @ParameterizedTest(name = "shards={0}")
    @ValueSource(ints = {1, 2})
    @Timeout(120)
    void batchedEngineMatchesTheTwinOnRandomSchedules(int shards) {
        long seed = 7L + shards;
        SplittableRandom rnd = new SplittableRandom(seed);
        int slots = 3;
        int positions = 24;
        int maxEntries = 8;
        try (Arena weights = Arena.ofShared(); ModelTensors model = BuiltinModel.create(weights);
             SlotPerForwardEngine twin = new SlotPerForwardEngine(model, slots, positions, maxEntries,
                     new ArenaSliceAllocator(weights));
             TpEngine batched = new TpEngine(model, shards, new TpEngine.Capacity(slots, positions, maxEntries),
                     new ArenaSliceAllocator(weights), null)) {
            int[] next = new int[slots];
            int[] tokens = new int[maxEntries];
            int[] slotOf = new int[maxEntries];
            int[] pos = new int[maxEntries];
            float[][] want = new float[maxEntries][];
            float[][] got = new float[maxEntries][];
            for (int step = 0; step < 40; step++) {
                int n = 0;
                for (int s = 0; s < slots && n < maxEntries; s++) {
                    if (rnd.nextInt(4) == 0) {
                        continue; // this slot sits the step out
                    }
                    if (next[s] == positions || rnd.nextInt(10) == 0) {
                        next[s] = 0; // a new sequence takes the slot
                    }
                    int k = Math.min(rnd.nextInt(1, 5), Math.min(positions - next[s], maxEntries - n));
                    for (int i = 0; i < k; i++, n++) {
                        tokens[n] = next[s] == 0 && i == 0 ? 1 : rnd.nextInt(3, vocab);
                        slotOf[n] = s;
                        pos[n] = next[s] + i;
                        boolean wantLogits = i == k - 1 || rnd.nextInt(3) == 0;
                        want[n] = wantLogits ? new float[vocab] : null;
                        got[n] = wantLogits ? new float[vocab] : null;
                    }
                    next[s] += k;
                }
                twin.step(n, tokens, slotOf, pos, want);
                batched.step(n, tokens, slotOf, pos, got);
                for (int i = 0; i < n; i++) {
                    if (want[i] == null) {
                        continue;
                    }
                    String where = "seed " + seed + ", step " + step + ", entry " + i + " (slot " + slotOf[i]
                            + ", position " + pos[i] + ")";
                    if (shards == 1) {
                        assertArrayEquals(want[i], got[i], where);
                    } else {
                        for (int v = 0; v < vocab; v++) {
                            assertEquals(want[i][v], got[i][v], 1e-4f * (1 + Math.abs(want[i][v])), where);
                        }
                    }
                }
            }
        }
    }

    @Test
    void brokenStepsAreRefused() {
        float[][] none = new float[8][];
        // a position that does not continue the slot
        engine.step(1, new int[] {1}, new int[] {0}, new int[] {0}, none);
        assertThrows(ModelException.class, () -> engine.step(1, new int[] {5}, new int[] {0}, new int[] {3}, none));
        // entries of one slot apart
        assertThrows(ModelException.class, () -> engine.step(3, new int[] {1, 1, 5}, new int[] {1, 2, 1},
                new int[] {0, 0, 1}, none));
        // slot, token and position out of range; too many entries
        assertThrows(ModelException.class, () -> engine.step(1, new int[] {1}, new int[] {3}, new int[] {0}, none));
        assertThrows(ModelException.class, () -> engine.step(1, new int[] {vocab}, new int[] {0}, new int[] {0}, none));
        assertThrows(ModelException.class, () -> engine.step(1, new int[] {1}, new int[] {0}, new int[] {16}, none));
        assertThrows(ModelException.class, () -> engine.step(9, new int[9], new int[9], new int[9], new float[9][]));
    }
}
