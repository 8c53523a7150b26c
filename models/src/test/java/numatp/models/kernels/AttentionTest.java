package numatp.models.kernels;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Attention kernels vs their scalar twins (bitwise: same per-element operations) on seeded
 * random shapes, including counts below, at and above one vector and head sizes that are
 * not multiples of it; exp vs Math.exp within 2 ulp.
 */
class AttentionTest {
    @Test
    void kernelsEqualScalarTwinsBitwise() {
        long seed = new SplittableRandom().nextLong();
        System.out.println("AttentionTest seed=" + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int round = 0; round < 300; round++) {
            int hs = 2 * (1 + rnd.nextInt(40));
            int count = 1 + rnd.nextInt(70);
            int stride = count + rnd.nextInt(5);
            float[] q = random(rnd, hs + 3, 2);
            MemorySegment kt = nativeCopy(random(rnd, 4 + hs * stride, 2));
            int qo = rnd.nextInt(3);
            int ko = rnd.nextInt(4);
            float scale = (float) Math.sqrt(hs);
            float[] got = new float[count];
            float[] want = new float[count];
            Attention.scores(q, qo, hs, kt, ko, stride, count, scale, got);
            ScalarAttention.scores(q, qo, hs, kt, ko, stride, count, scale, want);
            String what = "hs=" + hs + " count=" + count + " seed=" + seed;
            assertArrayEquals(want, got, "scores " + what);

            float[] a = got.clone();
            float[] b = got.clone();
            Attention.softmax(a, count);
            ScalarAttention.softmax(b, count);
            assertArrayEquals(b, a, "softmax " + what);

            int vStride = hs + rnd.nextInt(5);
            MemorySegment v = nativeCopy(random(rnd, 2 + count * vStride + hs, 2));
            int vo = rnd.nextInt(2);
            float[] out = new float[hs + 2];
            float[] ref = new float[hs + 2];
            Attention.weightedSum(a, count, v, vo, vStride, hs, out, 1);
            ScalarAttention.weightedSum(a, count, v, vo, vStride, hs, ref, 1);
            assertArrayEquals(ref, out, "weighted sum " + what);

            float[] h1 = random(rnd, count, 12);
            float[] h2 = random(rnd, count, 2);
            float[] g1 = h1.clone();
            Activations.swiGlu(h1, h2, count);
            Ops.swiGlu(g1, h2, count);
            assertArrayEquals(g1, h1, "swiGlu " + what);
        }
    }

    @Test
    void expIsWithinTwoUlpOfMathExpAndZeroBelowTwoToTheMinus64() {
        SplittableRandom rnd = new SplittableRandom(42);
        for (int i = 0; i < 200_000; i++) {
            float x = i < 100 ? -44.36f + i * 1.3f : (float) rnd.nextDouble(-44.36, 88);
            float want = (float) Math.exp(x);
            float got = Activations.exp(x);
            assertTrue(Math.abs(got - want) <= 2 * Math.ulp(want), "exp(" + x + ") = " + got + ", Math.exp " + want);
        }
        float[] ends = {-1000f, -44.5f, 0f, 100f, -1000f, -44.5f, 0f, 100f, -45f};
        Activations.expShifted(ends, ends.length, 0f); // whole vectors and a scalar tail
        float top = Activations.exp(88f);
        assertArrayEquals(new float[] {0f, 0f, 1f, top, 0f, 0f, 1f, top, 0f}, ends, java.util.Arrays.toString(ends));
        assertTrue(Math.abs(top - (float) Math.exp(88)) <= 2 * Math.ulp(top), "clamped at e^88: " + top);
    }

    /** Off-heap, as the KV caches are (the Vector API reads only byte[]-backed heap segments). */
    private static MemorySegment nativeCopy(float[] v) {
        MemorySegment s = Arena.ofAuto().allocate(4L * v.length, 64);
        MemorySegment.copy(v, 0, s, ValueLayout.JAVA_FLOAT, 0, v.length);
        return s;
    }

    private static float[] random(SplittableRandom rnd, int n, double range) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) rnd.nextDouble(-range, range);
        }
        return v;
    }
}
