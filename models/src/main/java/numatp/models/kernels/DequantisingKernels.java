package numatp.models.kernels;

import jdk.incubator.vector.FloatVector;
import numatp.weights.Dequant;
import numatp.weights.Tensor;

import static numatp.models.kernels.MatVec.F;
import static numatp.models.kernels.MatVec.L;
import static numatp.models.kernels.MatVec.sum;

/**
 * Fallback matrix-vector and batched products for Q4_1, Q5_0, Q5_1, Q2_K, Q3_K and Q5_K where
 * the species is too narrow for their vector kernels ({@link MatVec#QUANT_VECTOR} false, fewer
 * than 8 lanes; see {@link SmallBlockKernels}, {@link LowBitKQuantKernels}, {@link Q5KKernels}),
 * about 100x slower than those: each row is dequantised once by {@link Dequant#row}
 * into a per-thread scratch row, then dotted with each entry on the Vector API ({@link #dot}:
 * FMA over L-lane pieces, the fixed-tree lane sum, a scalar tail). Weights equal
 * {@link ScalarMatVec}'s exactly, so results differ from it only by f32 summation order; every
 * batch entry gets bitwise the single-entry result. Allocation-free once a thread's scratch row
 * has grown to the widest row it meets.
 */
final class DequantisingKernels {
    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[0]);

    private DequantisingKernels() {
    }

    static void matVec(Tensor w, int rowFrom, int rowTo, float[] x, int xOff, float[] out, int outOff) {
        final int cols = w.cols();
        final long rowBytes = w.rowBytes();
        final float[] row = scratch(cols);
        for (int r = rowFrom; r < rowTo; r++) {
            Dequant.row(w.type(), w.data(), r * rowBytes, cols, row, 0);
            out[outOff + r] = dot(row, cols, x, xOff);
        }
    }

    static void matMul(Tensor w, int rowFrom, int rowTo, int n, float[] x, int xOff, int xStride, float[] out,
                       int outOff, int outStride) {
        final int cols = w.cols();
        final long rowBytes = w.rowBytes();
        final float[] row = scratch(cols);
        final int bound = F.loopBound(cols);
        for (int r = rowFrom; r < rowTo; r++) {
            Dequant.row(w.type(), w.data(), r * rowBytes, cols, row, 0);
            int e = 0;
            for (; e + MatMul.GROUP <= n; e += MatMul.GROUP) {
                final int x0 = xOff + e * xStride;
                final int x1 = x0 + xStride;
                final int x2 = x1 + xStride;
                final int x3 = x2 + xStride;
                FloatVector a0 = FloatVector.zero(F);
                FloatVector a1 = FloatVector.zero(F);
                FloatVector a2 = FloatVector.zero(F);
                FloatVector a3 = FloatVector.zero(F);
                int c = 0;
                for (; c < bound; c += L) {
                    FloatVector wv = FloatVector.fromArray(F, row, c);
                    a0 = wv.fma(FloatVector.fromArray(F, x, x0 + c), a0);
                    a1 = wv.fma(FloatVector.fromArray(F, x, x1 + c), a1);
                    a2 = wv.fma(FloatVector.fromArray(F, x, x2 + c), a2);
                    a3 = wv.fma(FloatVector.fromArray(F, x, x3 + c), a3);
                }
                float s0 = sum(a0);
                float s1 = sum(a1);
                float s2 = sum(a2);
                float s3 = sum(a3);
                for (; c < cols; c++) {
                    s0 += row[c] * x[x0 + c];
                    s1 += row[c] * x[x1 + c];
                    s2 += row[c] * x[x2 + c];
                    s3 += row[c] * x[x3 + c];
                }
                final int o = outOff + e * outStride + r;
                out[o] = s0;
                out[o + outStride] = s1;
                out[o + 2 * outStride] = s2;
                out[o + 3 * outStride] = s3;
            }
            for (; e < n; e++) {
                out[outOff + e * outStride + r] = dot(row, cols, x, xOff + e * xStride);
            }
        }
    }

    /** w[0, cols) times x[xo, xo + cols): lanes by FMA, the fixed-tree sum, then the scalar tail. */
    static float dot(float[] w, int cols, float[] x, int xo) {
        final int bound = F.loopBound(cols);
        FloatVector acc = FloatVector.zero(F);
        int c = 0;
        for (; c < bound; c += L) {
            acc = FloatVector.fromArray(F, w, c).fma(FloatVector.fromArray(F, x, xo + c), acc);
        }
        float s = sum(acc);
        for (; c < cols; c++) {
            s += w[c] * x[xo + c];
        }
        return s;
    }

    private static float[] scratch(int cols) {
        float[] row = SCRATCH.get();
        if (row.length < cols) {
            row = new float[cols];
            SCRATCH.set(row);
        }
        return row;
    }
}
