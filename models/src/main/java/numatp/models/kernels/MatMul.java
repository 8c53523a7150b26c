package numatp.models.kernels;

import numatp.weights.Tensor;

/**
 * Matrix times a batch of vectors: for entries e in [0, n) and rows r in [rowFrom, rowTo),
 * out[outOff + e * outStride + r] = sum_c w[r, c] * x[xOff + e * xStride + c].
 * Every output is bitwise what {@link MatVec} gives for that entry alone (the same
 * per-row accumulation order), so batching never changes an answer.
 */
public final class MatMul {
    private MatMul() {
    }

    public static void matMul(Tensor w, int rowFrom, int rowTo, int n, float[] x, int xOff, int xStride,
                              float[] out, int outOff, int outStride) {
        for (int e = 0; e < n; e++) {
            MatVec.matVec(w, rowFrom, rowTo, x, xOff + e * xStride, out, outOff + e * outStride);
        }
    }
}
