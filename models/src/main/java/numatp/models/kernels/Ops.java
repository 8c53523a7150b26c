package numatp.models.kernels;

import numatp.weights.Dequant;
import numatp.weights.Tensor;

/** Small vector operations of the forward pass, in llama2.c's float order (they are cheap next to the matmuls). */
public final class Ops {
    private Ops() {
    }

    /** out = weight * x / sqrt(mean(x^2) + eps), as run.c's rmsnorm; {@code weight} is a [1, n] tensor. */
    public static void rmsNorm(float[] out, float[] x, Tensor weight, int n, float eps) {
        float ss = 0f;
        for (int j = 0; j < n; j++) {
            ss += x[j] * x[j];
        }
        ss /= n;
        ss += eps;
        ss = 1.0f / (float) Math.sqrt(ss);
        var seg = weight.data();
        if (weight.type() == numatp.weights.TensorType.F32) {
            for (int j = 0; j < n; j++) {
                out[j] = seg.get(Dequant.F32, 4L * j) * (ss * x[j]);
            }
        } else {
            for (int j = 0; j < n; j++) {
                out[j] = weight.get(0, j) * (ss * x[j]);
            }
        }
    }

    /** In-place softmax of x[off, off + n). */
    public static void softmax(float[] x, int off, int n) {
        float max = x[off];
        for (int i = 1; i < n; i++) {
            max = Math.max(max, x[off + i]);
        }
        float sum = 0f;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(x[off + i] - max);
            x[off + i] = e;
            sum += e;
        }
        for (int i = 0; i < n; i++) {
            x[off + i] /= sum;
        }
    }

    /** hb[i] = silu(hb[i]) * hb2[i] for i in [0, n). */
    public static void swiGlu(float[] hb, float[] hb2, int n) {
        for (int i = 0; i < n; i++) {
            float v = hb[i];
            v *= 1.0f / (1.0f + (float) Math.exp(-v));
            hb[i] = v * hb2[i];
        }
    }

    /** x[i] += y[i]. */
    public static void add(float[] x, float[] y, int n) {
        for (int i = 0; i < n; i++) {
            x[i] += y[i];
        }
    }

    /** Row {@code row} of {@code t} as f32 into out[0, cols). */
    public static void row(Tensor t, int row, float[] out) {
        int cols = t.cols();
        if (t.type() == numatp.weights.TensorType.F32) {
            java.lang.foreign.MemorySegment.copy(t.data(), Dequant.F32, row * t.rowBytes(), out, 0, cols);
        } else {
            for (int c = 0; c < cols; c++) {
                out[c] = t.get(row, c);
            }
        }
    }
}
