package numatp.models.kernels;

import numatp.weights.Dequant;
import numatp.weights.Tensor;
import numatp.weights.TensorType;

import java.lang.foreign.MemorySegment;

/**
 * Small vector operations of the forward pass, in llama2.c's float order (they are cheap
 * next to the matmuls). Arrays carry an offset so one buffer can hold a batch of rows.
 */
public final class Ops {
    private Ops() {
    }

    /** out = weight * x / sqrt(mean(x^2) + eps), as run.c's rmsnorm; {@code weight} is a [1, n] tensor. */
    public static void rmsNorm(float[] out, float[] x, Tensor weight, int n, float eps) {
        rmsNorm(out, 0, x, 0, weight, n, eps);
    }

    /** {@link #rmsNorm(float[], float[], Tensor, int, float)} on out[outOff, +n) and x[xOff, +n). */
    public static void rmsNorm(float[] out, int outOff, float[] x, int xOff, Tensor weight, int n, float eps) {
        float ss = 0f;
        for (int j = 0; j < n; j++) {
            float v = x[xOff + j];
            ss += v * v;
        }
        ss /= n;
        ss += eps;
        ss = 1.0f / (float) Math.sqrt(ss);
        MemorySegment seg = weight.data();
        if (weight.type() == TensorType.F32) {
            for (int j = 0; j < n; j++) {
                out[outOff + j] = seg.get(Dequant.F32, 4L * j) * (ss * x[xOff + j]);
            }
        } else {
            for (int j = 0; j < n; j++) {
                out[outOff + j] = weight.get(0, j) * (ss * x[xOff + j]);
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

    /**
     * hb[i] = silu(hb[i]) * hb2[i] for i in [0, n), as run.c with {@link Activations#exp(float)}:
     * the scalar twin of {@link Activations#swiGlu}.
     */
    public static void swiGlu(float[] hb, float[] hb2, int n) {
        for (int i = 0; i < n; i++) {
            float v = hb[i];
            v *= 1.0f / (1.0f + Activations.exp(-v));
            hb[i] = v * hb2[i];
        }
    }

    /** x[i] += y[i] for i in [0, n). */
    public static void add(float[] x, float[] y, int n) {
        for (int i = 0; i < n; i++) {
            x[i] += y[i];
        }
    }

    /** Row {@code row} of {@code t} as f32 into out[0, cols). */
    public static void row(Tensor t, int row, float[] out) {
        row(t, row, out, 0);
    }

    /** Row {@code row} of {@code t} as f32 into out[outOff, outOff + cols). */
    public static void row(Tensor t, int row, float[] out, int outOff) {
        int cols = t.cols();
        if (t.type() == TensorType.F32) {
            MemorySegment.copy(t.data(), Dequant.F32, row * t.rowBytes(), out, outOff, cols);
        } else {
            for (int c = 0; c < cols; c++) {
                out[outOff + c] = t.get(row, c);
            }
        }
    }
}
