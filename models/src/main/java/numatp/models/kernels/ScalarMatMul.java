package numatp.models.kernels;

import numatp.weights.Tensor;

/**
 * Plain-loop twin of {@link MatMul}: every entry through {@link ScalarMatVec}, left to
 * right in f32 (llama2.c's matmul order).
 */
public final class ScalarMatMul {
    private ScalarMatMul() {
    }

    public static void matMul(Tensor w, int rowFrom, int rowTo, int n, float[] x, int xOff, int xStride,
                              float[] out, int outOff, int outStride) {
        for (int e = 0; e < n; e++) {
            ScalarMatVec.matVec(w, rowFrom, rowTo, x, xOff + e * xStride, out, outOff + e * outStride);
        }
    }
}
