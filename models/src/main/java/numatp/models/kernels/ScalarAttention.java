package numatp.models.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Plain-loop twin of {@link Attention}, written as run.c's loops (with {@link Activations#exp(float)}). */
public final class ScalarAttention {
    private ScalarAttention() {
    }

    public static void scores(float[] q, int qo, int hs, MemorySegment kt, long ko, int stride, int count,
                              float scale, float[] out) {
        for (int t = 0; t < count; t++) {
            float s = 0f;
            for (int i = 0; i < hs; i++) {
                s += q[qo + i] * kt.getAtIndex(ValueLayout.JAVA_FLOAT, ko + (long) i * stride + t);
            }
            out[t] = s / scale;
        }
    }

    public static void weightedSum(float[] a, int count, MemorySegment v, long vo, int vStride, int hs,
                                   float[] out, int oo) {
        for (int i = 0; i < hs; i++) {
            out[oo + i] = 0f;
        }
        for (int t = 0; t < count; t++) {
            for (int i = 0; i < hs; i++) {
                out[oo + i] += a[t] * v.getAtIndex(ValueLayout.JAVA_FLOAT, vo + (long) t * vStride + i);
            }
        }
    }

    public static void softmax(float[] x, int n) {
        float max = x[0];
        for (int i = 1; i < n; i++) {
            max = Math.max(max, x[i]);
        }
        float sum = 0f;
        for (int i = 0; i < n; i++) {
            x[i] = Activations.exp(x[i] - max);
            sum += x[i];
        }
        for (int i = 0; i < n; i++) {
            x[i] /= sum;
        }
    }
}
