package numatp.weights;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

class TensorSlicerTest {
    @Test
    void rowAndColumnSlicesHoldTheSameValues() {
        long seed = new SplittableRandom().nextLong();
        System.out.println("TensorSlicerTest seed=" + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        try (Arena arena = Arena.ofConfined()) {
            TensorSlicer slicer = new TensorSlicer(new ArenaSliceAllocator(arena));
            for (TensorType type : TensorType.values()) {
                int rows = 5;
                int cols = 96;
                float[] v = new float[rows * cols];
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) rnd.nextDouble(-1, 1);
                }
                Tensor t = new Tensor("t", type, rows, cols, Quantize.encode(type, v));
                Tensor r = slicer.rows(t, 1, 3, 0);
                for (int i = 0; i < 3; i++) {
                    for (int c = 0; c < cols; c++) {
                        assertEquals(t.get(1 + i, c), r.get(i, c));
                    }
                }
                for (int[] range : new int[][] {{32, 64}, {5, 17}, {0, 96}}) {
                    Tensor col = slicer.columns(t, range[0], range[1], 0);
                    boolean aligned = range[0] % type.blockElements() == 0 && range[1] % type.blockElements() == 0;
                    assertEquals(aligned ? type : TensorType.F32, col.type(), type + " " + range[0]);
                    for (int i = 0; i < rows; i++) {
                        for (int c = 0; c < range[1]; c++) {
                            assertEquals(t.get(i, range[0] + c), col.get(i, c), type + " seed " + seed);
                        }
                    }
                }
            }
            assertEquals(0, slicer.replicatedBytes());
        }
    }
}
