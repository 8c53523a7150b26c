package numatp.models.kernels;

import numatp.weights.Quantize;
import numatp.weights.Tensor;
import numatp.weights.TensorType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Vector kernels vs their scalar twins on seeded random shapes (including empty,
 * single-row, odd f32 widths, one-block quantised rows). Both decode identical weights;
 * the tolerance covers f32 reordering: |vec - scalar| <= 1e-5 * sum|w x| + 1e-6.
 */
class MatVecTest {
    @ParameterizedTest
    @EnumSource(TensorType.class)
    void vectorKernelMatchesScalarTwin(TensorType type) {
        long seed = new SplittableRandom().nextLong();
        System.out.println("MatVecTest " + type + " seed=" + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int round = 0; round < 200; round++) {
            int rows = round == 0 ? 0 : 1 + rnd.nextInt(20);
            int block = type.blockElements();
            int cols = block == 1 ? 1 + rnd.nextInt(300) : block * (1 + rnd.nextInt(12));
            float[] w = new float[rows * cols];
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) rnd.nextDouble(-2, 2);
            }
            Tensor t = new Tensor("w", type, rows, cols, Quantize.encode(type, w));
            int xOff = rnd.nextInt(3);
            float[] x = new float[xOff + cols];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) rnd.nextDouble(-2, 2);
            }
            int outOff = rnd.nextInt(3);
            float[] got = new float[outOff + rows];
            float[] want = new float[outOff + rows];
            int from = rows == 0 ? 0 : rnd.nextInt(rows);
            MatVec.matVec(t, from, rows, x, xOff, got, outOff);
            ScalarMatVec.matVec(t, from, rows, x, xOff, want, outOff);
            for (int r = from; r < rows; r++) {
                float mag = 0f;
                for (int c = 0; c < cols; c++) {
                    mag += Math.abs(t.get(r, c) * x[xOff + c]);
                }
                float diff = Math.abs(got[outOff + r] - want[outOff + r]);
                assertTrue(diff <= 1e-5f * mag + 1e-6f, type + " [" + rows + "x" + cols + "] row " + r + ": "
                        + got[outOff + r] + " vs " + want[outOff + r] + " seed=" + seed);
            }
        }
    }
}
