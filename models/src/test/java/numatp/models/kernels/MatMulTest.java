package numatp.models.kernels;

import numatp.weights.Quantize;
import numatp.weights.Tensor;
import numatp.weights.TensorType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Batched kernels on seeded random shapes (batches of 0 to 11 entries: whole groups of
 * four and leftovers; strided inputs and outputs; row ranges; odd f32 widths; half the
 * rounds with cache blocks of 1 to 6 rows, so that blocks and groups interleave):
 * bitwise equal to {@link MatVec} per entry, and within the f32-reordering tolerance
 * |vec - scalar| <= 1e-5 * sum|w x| + 1e-6 of the {@link ScalarMatMul} twin.
 */
class MatMulTest {
    @ParameterizedTest
    @EnumSource(TensorType.class)
    void batchedKernelIsMatVecPerEntryAndMatchesScalarTwin(TensorType type) {
        long seed = new SplittableRandom().nextLong();
        System.out.println("MatMulTest " + type + " seed=" + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int round = 0; round < 150; round++) {
            int rows = round == 0 ? 0 : 1 + rnd.nextInt(20);
            int block = type.blockElements();
            int cols = block == 1 ? 1 + rnd.nextInt(300) : block * (1 + rnd.nextInt(12));
            int n = round == 1 ? 0 : rnd.nextInt(12);
            float[] wf = new float[rows * cols];
            for (int i = 0; i < wf.length; i++) {
                wf[i] = (float) rnd.nextDouble(-2, 2);
            }
            Tensor t = new Tensor("w", type, rows, cols, Quantize.encode(type, wf));
            int xOff = rnd.nextInt(3);
            int xStride = cols + rnd.nextInt(3);
            float[] x = new float[xOff + n * xStride];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) rnd.nextDouble(-2, 2);
            }
            int outOff = rnd.nextInt(3);
            int outStride = rows + rnd.nextInt(3);
            float[] got = new float[outOff + n * outStride];
            float[] perEntry = new float[got.length];
            float[] scalar = new float[got.length];
            int from = rows == 0 ? 0 : rnd.nextInt(rows);
            int to = from + rnd.nextInt(rows - from + 1);
            if (rnd.nextBoolean()) {
                MatMul.matMul(t, from, to, n, x, xOff, xStride, got, outOff, outStride);
            } else {
                MatMul.blocked(t, from, to, n, x, xOff, xStride, got, outOff, outStride, 1 + rnd.nextInt(6));
            }
            ScalarMatMul.matMul(t, from, to, n, x, xOff, xStride, scalar, outOff, outStride);
            for (int e = 0; e < n; e++) {
                MatVec.matVec(t, from, to, x, xOff + e * xStride, perEntry, outOff + e * outStride);
            }
            String what = type + " [" + rows + "x" + cols + "] rows [" + from + ", " + to + ") n=" + n + " seed=" + seed;
            for (int i = 0; i < got.length; i++) {
                assertEquals(Float.floatToRawIntBits(perEntry[i]), Float.floatToRawIntBits(got[i]),
                        what + ": output " + i + " differs from MatVec: " + got[i] + " vs " + perEntry[i]);
            }
            for (int e = 0; e < n; e++) {
                for (int r = from; r < to; r++) {
                    float mag = 0f;
                    for (int c = 0; c < cols; c++) {
                        mag += Math.abs(t.get(r, c) * x[xOff + e * xStride + c]);
                    }
                    int o = outOff + e * outStride + r;
                    float diff = Math.abs(got[o] - scalar[o]);
                    assertTrue(diff <= 1e-5f * mag + 1e-6f, what + ": entry " + e + " row " + r + ": " + got[o]
                            + " vs scalar " + scalar[o]);
                }
            }
        }
    }
}
