package numatp.runtime.serve;

import numatp.models.ModelException;
import numatp.weights.ArenaSliceAllocator;
import numatp.weights.ModelTensors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The twin engine: batch composition does not change a slot's logits, and the step contract is enforced. */
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
