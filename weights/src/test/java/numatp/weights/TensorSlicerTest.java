package numatp.weights;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TensorSlicerTest {
    @ParameterizedTest
    @EnumSource(TensorType.class)
    void rowAndColumnSlicesHoldTheSameValues(TensorType type) {
        long seed = new SplittableRandom().nextLong();
        System.out.println("TensorSlicerTest " + type + " seed=" + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        try (Arena arena = Arena.ofConfined()) {
            TensorSlicer slicer = new TensorSlicer(new ArenaSliceAllocator(arena));
            int rows = 5;
            int block = Math.max(32, type.blockElements());
            int cols = 3 * block;
            Tensor t = random(type, rows, cols, rnd);
            Tensor r = slicer.rows(t, 1, 3, 0);
            for (int i = 0; i < 3; i++) {
                for (int c = 0; c < cols; c++) {
                    assertEquals(t.get(1 + i, c), r.get(i, c));
                }
            }
            boolean cuttable = type.blockElements() <= 32;
            for (int[] range : new int[][] {{block, 2 * block}, {5, 17}, {0, cols}}) {
                boolean aligned = range[0] % type.blockElements() == 0 && range[1] % type.blockElements() == 0;
                if (!aligned && !cuttable) {
                    continue;
                }
                Tensor col = slicer.columns(t, range[0], range[1], 0);
                assertEquals(aligned ? type : TensorType.F32, col.type(), type + " " + range[0]);
                for (int i = 0; i < rows; i++) {
                    for (int c = 0; c < range[1]; c++) {
                        assertEquals(t.get(i, range[0] + c), col.get(i, c), type + " seed " + seed);
                    }
                }
            }
            assertEquals(0, slicer.replicatedBytes());
        }
    }

    /** Uneven row splits (sizes differ by one) of K-quant and 32-block tensors: every part keeps the encoding and the rows. */
    @ParameterizedTest
    @EnumSource(value = TensorType.class, names = {"Q4_K", "Q6_K", "Q2_K", "Q3_K", "Q5_K", "Q4_1", "Q5_0", "Q5_1"})
    void unevenRowSplitsKeepWholeBlocksPerRow(TensorType type) {
        long seed = new SplittableRandom().nextLong();
        SplittableRandom rnd = new SplittableRandom(seed);
        try (Arena arena = Arena.ofConfined()) {
            TensorSlicer slicer = new TensorSlicer(new ArenaSliceAllocator(arena));
            for (int round = 0; round < 20; round++) {
                int rows = 1 + rnd.nextInt(13);
                int cols = type.blockElements() * (1 + rnd.nextInt(3));
                int parts = 1 + rnd.nextInt(5);
                Tensor t = random(type, rows, cols, rnd);
                Split split = Split.even(rows, parts);
                long bytes = 0;
                for (int p = 0; p < parts; p++) {
                    Tensor part = slicer.rows(t, split.start(p), split.size(p), p % 2);
                    String what = type + " [" + rows + "x" + cols + "] " + split + " part " + p + " seed=" + seed;
                    assertEquals(type, part.type(), what);
                    assertEquals(split.size(p) * t.rowBytes(), part.data().byteSize(), what);
                    bytes += part.data().byteSize();
                    for (int i = 0; i < split.size(p); i++) {
                        for (int c = 0; c < cols; c++) {
                            assertEquals(Float.floatToRawIntBits(t.get(split.start(p) + i, c)),
                                    Float.floatToRawIntBits(part.get(i, c)), what + " row " + i + " col " + c);
                        }
                    }
                }
                assertEquals(t.data().byteSize(), bytes, type + " seed=" + seed);
                int[] from = {rows - 1, 0};
                int[] count = {1, rows - 1};
                Tensor stacked = slicer.rowRanges(t, from, count, 0);
                for (int c = 0; c < cols; c++) {
                    assertEquals(t.get(rows - 1, c), stacked.get(0, c), type + " seed=" + seed);
                }
            }
        }
    }

    @Test
    void kQuantColumnSplitsOnBlockBoundariesKeepTheEncoding() {
        try (Arena arena = Arena.ofConfined()) {
            TensorSlicer slicer = new TensorSlicer(new ArenaSliceAllocator(arena));
            Tensor t = random(TensorType.Q4_K, 4, 768, new SplittableRandom(5));
            Split split = Split.granular(768, 2, 256);
            Tensor first = slicer.columns(t, split, 0, 0);
            Tensor second = slicer.columns(t, split, 1, 1);
            assertEquals(TensorType.Q4_K, first.type());
            assertEquals(512, first.cols());
            assertEquals(256, second.cols());
            for (int r = 0; r < 4; r++) {
                for (int c = 0; c < 256; c++) {
                    assertEquals(t.get(r, 512 + c), second.get(r, c));
                }
            }
        }
    }

    @Test
    void kQuantColumnSplitThatCutsABlockNamesTensorWidthAndShards() {
        try (Arena arena = Arena.ofConfined()) {
            TensorSlicer slicer = new TensorSlicer(new ArenaSliceAllocator(arena));
            Tensor t = random(TensorType.Q6_K, 2, 256, new SplittableRandom(7)).withName("blk.0.attn_output.weight");
            WeightsException e = assertThrows(WeightsException.class,
                    () -> slicer.columns(t, Split.even(256, 2), 1, 0));
            String m = e.getMessage();
            assertTrue(m.contains("blk.0.attn_output.weight") && m.contains("width 256") && m.contains("2 shards")
                    && m.contains("Q6_K") && m.contains("256-element block"), m);
            WeightsException direct = assertThrows(WeightsException.class, () -> slicer.columns(t, 0, 128, 0));
            assertTrue(direct.getMessage().contains("blk.0.attn_output.weight"), direct.getMessage());
            WeightsException mismatch = assertThrows(WeightsException.class,
                    () -> slicer.columns(t, Split.even(512, 2), 0, 0));
            assertTrue(mismatch.getMessage().contains("covers 512"), mismatch.getMessage());
        }
    }

    private static Tensor random(TensorType type, int rows, int cols, SplittableRandom rnd) {
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) rnd.nextDouble(-1, 1);
        }
        return new Tensor("t", type, rows, cols, Quantize.encode(type, v));
    }
}
