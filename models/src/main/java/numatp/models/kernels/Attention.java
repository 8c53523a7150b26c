package numatp.models.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static numatp.models.kernels.MatVec.F;
import static numatp.models.kernels.MatVec.L;

/**
 * Attention of one query head on the Vector API, with run.c's per-element arithmetic:
 * keys are stored transposed ({@code [headSize][positions]} per KV head) so that
 * {@link #scores} computes L positions at once while each lane still sums
 * {@code q[i] * k[i]} over i in order; {@link #weightedSum} accumulates values over
 * positions in order, L head elements at once. Multiplies and adds are not fused, as in
 * run.c, so both are bitwise run.c's. {@link #softmax} uses {@link Activations#exp}, the
 * only departure from run.c (within 2 ulp of expf). {@link ScalarAttention} is the
 * plain-loop twin, bitwise equal.
 */
public final class Attention {
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

    private Attention() {
    }

    /**
     * out[t] = (sum_i q[qo + i] * kt[ko + i * stride + t]) / scale for t in [0, count): the
     * dot products of one query head with {@code count} cached keys laid out transposed
     * ({@code kt} is f32 in native order, indices in floats).
     */
    public static void scores(float[] q, int qo, int hs, MemorySegment kt, long ko, int stride, int count,
                              float scale, float[] out) {
        final int bound = F.loopBound(count);
        int t = 0;
        for (; t < bound; t += L) {
            FloatVector acc = FloatVector.zero(F);
            for (int i = 0; i < hs; i++) {
                FloatVector k = FloatVector.fromMemorySegment(F, kt, 4L * (ko + (long) i * stride + t), NATIVE);
                acc = acc.add(k.mul(q[qo + i]));
            }
            acc.div(scale).intoArray(out, t);
        }
        for (; t < count; t++) {
            float s = 0f;
            for (int i = 0; i < hs; i++) {
                s += q[qo + i] * kt.getAtIndex(ValueLayout.JAVA_FLOAT, ko + (long) i * stride + t);
            }
            out[t] = s / scale;
        }
    }

    /**
     * out[oo + i] = sum_t a[t] * v[vo + t * vStride + i] over t in [0, count) in order, for i
     * in [0, hs) ({@code v} is f32 in native order, indices in floats).
     */
    public static void weightedSum(float[] a, int count, MemorySegment v, long vo, int vStride, int hs,
                                   float[] out, int oo) {
        final int bound = F.loopBound(hs);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector acc = FloatVector.zero(F);
            for (int t = 0; t < count; t++) {
                FloatVector vv = FloatVector.fromMemorySegment(F, v, 4L * (vo + (long) t * vStride + i), NATIVE);
                acc = acc.add(vv.mul(a[t]));
            }
            acc.intoArray(out, oo + i);
        }
        for (; i < hs; i++) {
            float s = 0f;
            for (int t = 0; t < count; t++) {
                s += a[t] * v.getAtIndex(ValueLayout.JAVA_FLOAT, vo + (long) t * vStride + i);
            }
            out[oo + i] = s;
        }
    }

    /** In-place softmax of x[0, n): run.c's (max, exp, sum in order, divide) with {@link #exp}. */
    public static void softmax(float[] x, int n) {
        final int bound = F.loopBound(n);
        float max = x[0];
        int i = 0;
        if (bound > 0) {
            FloatVector m = FloatVector.fromArray(F, x, 0);
            for (i = L; i < bound; i += L) {
                m = m.max(FloatVector.fromArray(F, x, i));
            }
            max = m.reduceLanes(VectorOperators.MAX); // max is exact in any order
        }
        for (; i < n; i++) {
            max = Math.max(max, x[i]);
        }
        Activations.expShifted(x, n, max);
        float sum = 0f;
        for (i = 0; i < n; i++) {
            sum += x[i];
        }
        final int b = bound;
        for (i = 0; i < b; i += L) {
            FloatVector.fromArray(F, x, i).div(sum).intoArray(x, i);
        }
        for (; i < n; i++) {
            x[i] /= sum;
        }
    }
}
