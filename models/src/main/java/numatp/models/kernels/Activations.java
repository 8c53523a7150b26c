package numatp.models.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

import static numatp.models.kernels.MatVec.F;
import static numatp.models.kernels.MatVec.I;
import static numatp.models.kernels.MatVec.L;

/**
 * exp and SwiGLU on the Vector API. {@link #exp(FloatVector)} is a fixed polynomial made of
 * basic IEEE operations, and {@link #exp(float)} performs the same operations one by one,
 * so vector lanes and scalar tails agree bitwise (the Vector API's own EXP is not used:
 * its compiled and interpreted forms may differ in the last bit, which would make results
 * depend on JIT warm-up). Within 2 ulp of {@code Math.exp}. {@link Ops#swiGlu} is the twin.
 */
public final class Activations {
    static final float LOG2E = 1.44269504088896341f;
    static final float MAGIC = 12582912f; // 1.5 * 2^23: adding and subtracting it rounds to an integer
    static final float LN2_HI = 0.693359375f;
    static final float LN2_LO = -2.12194440e-4f;
    /**
     * Below this (-64 ln 2) exp is 0: e^-44.4 = 2^-64 adds nothing to a softmax sum of at least
     * 1, and smaller weights lead to subnormal products, which cost x86 a microcode assist
     * (~100 cycles) each: a garbage prompt made stories260K decode 2-3x slower before this.
     */
    static final float MIN_ARG = -44.3614196f;
    static final float MAX_ARG = 88.0f;
    static final float P0 = 1.9875691500e-4f;
    static final float P1 = 1.3981999507e-3f;
    static final float P2 = 8.3334519073e-3f;
    static final float P3 = 4.1665795894e-2f;
    static final float P4 = 1.6666665459e-1f;
    static final float P5 = 5.0000001201e-1f;

    private Activations() {
    }

    /** x[i] = exp(x[i] - shift) for i in [0, n). */
    public static void expShifted(float[] x, int n, float shift) {
        final int bound = F.loopBound(n);
        int i = 0;
        for (; i < bound; i += L) {
            exp(FloatVector.fromArray(F, x, i).sub(shift)).intoArray(x, i);
        }
        for (; i < n; i++) {
            x[i] = exp(x[i] - shift);
        }
    }

    /** hb[i] = silu(hb[i]) * hb2[i] for i in [0, n), silu(v) = v * (1 / (1 + exp(-v))) as run.c. */
    public static void swiGlu(float[] hb, float[] hb2, int n) {
        final int bound = F.loopBound(n);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(F, hb, i);
            FloatVector one = FloatVector.broadcast(F, 1f);
            v.mul(one.div(one.add(exp(v.neg())))).mul(FloatVector.fromArray(F, hb2, i)).intoArray(hb, i);
        }
        for (; i < n; i++) {
            float v = hb[i];
            v *= 1.0f / (1.0f + exp(-v));
            hb[i] = v * hb2[i];
        }
    }

    /**
     * e^x (Cephes expf: x = n ln2 + r, degree-6 polynomial in r, times 2^n); 0 below
     * {@value #MIN_ARG}, arguments above {@value #MAX_ARG} clamped. Every step is one IEEE
     * operation, the same in {@link #exp(float)}, so lanes and scalars agree bitwise.
     */
    static FloatVector exp(FloatVector x) {
        VectorMask<Float> tiny = x.compare(VectorOperators.LT, MIN_ARG);
        x = x.max(MIN_ARG).min(MAX_ARG);
        FloatVector n = x.mul(LOG2E).add(MAGIC).sub(MAGIC);
        FloatVector r = x.sub(n.mul(LN2_HI)).sub(n.mul(LN2_LO));
        FloatVector p = r.fma(P0, P1);
        p = p.fma(r, FloatVector.broadcast(F, P2));
        p = p.fma(r, FloatVector.broadcast(F, P3));
        p = p.fma(r, FloatVector.broadcast(F, P4));
        p = p.fma(r, FloatVector.broadcast(F, P5));
        p = p.mul(r.mul(r)).add(r).add(1f);
        IntVector bits = ((IntVector) n.convertShape(VectorOperators.F2I, I, 0)).add(127)
                .lanewise(VectorOperators.LSHL, 23);
        return p.mul(bits.reinterpretAsFloats()).blend(0f, tiny);
    }

    /** Scalar {@link #exp(FloatVector)}, operation for operation. */
    public static float exp(float x) {
        if (x < MIN_ARG) {
            return 0f;
        }
        x = Math.min(x, MAX_ARG);
        float n = x * LOG2E + MAGIC - MAGIC;
        float r = x - n * LN2_HI - n * LN2_LO;
        float p = Math.fma(r, P0, P1);
        p = Math.fma(p, r, P2);
        p = Math.fma(p, r, P3);
        p = Math.fma(p, r, P4);
        p = Math.fma(p, r, P5);
        p = p * (r * r) + r + 1f;
        return p * Float.intBitsToFloat(((int) n + 127) << 23);
    }
}
