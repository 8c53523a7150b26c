package numatp.collectives.reduce;

import numatp.collectives.ElementType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ReductionsTest {
    @Test
    void vectorSumEqualsScalarLeftFoldBitwiseForAnySourceCountAndLength() {
        long seed = System.nanoTime();
        SplittableRandom random = new SplittableRandom(seed);
        try (Arena arena = Arena.ofConfined()) {
            for (int trial = 0; trial < 200; trial++) {
                int n = random.nextInt(1, 17);
                int count = random.nextInt(0, 200);
                MemorySegment[] src = new MemorySegment[n];
                long[] offsets = new long[n];
                for (int k = 0; k < n; k++) {
                    src[k] = arena.allocate(count * 4L + 8);
                    offsets[k] = random.nextInt(0, 2) * 4L;
                    for (int i = 0; i < count; i++) {
                        src[k].set(ValueLayout.JAVA_FLOAT_UNALIGNED, offsets[k] + i * 4L, (float) random.nextGaussian());
                    }
                }
                MemorySegment dst = arena.allocate(count * 4L + 4).asSlice(1);
                Reductions.sum(ElementType.F32, src, offsets, n, ElementType.F32, dst, 0, count);
                for (int i = 0; i < count; i++) {
                    float acc = src[0].get(ValueLayout.JAVA_FLOAT_UNALIGNED, offsets[0] + i * 4L);
                    for (int k = 1; k < n; k++) {
                        acc += src[k].get(ValueLayout.JAVA_FLOAT_UNALIGNED, offsets[k] + i * 4L);
                    }
                    assertEquals(Float.floatToRawIntBits(acc), Float.floatToRawIntBits(dst.get(ValueLayout.JAVA_FLOAT_UNALIGNED, i * 4L)),
                            "seed=" + seed + " trial=" + trial + " element " + i);
                }
            }
        }
    }

    @Test
    void bf16RoundsToNearestEvenLikeTheDoubleReference() {
        long seed = System.nanoTime();
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < 100_000; i++) {
            float f = Float.intBitsToFloat(random.nextInt() & 0x7eff_ffff | (random.nextBoolean() ? 0x8000_0000 : 0));
            short b = Reductions.floatToBf16(f);
            float lower = Reductions.bf16ToFloat((short) (Float.floatToRawIntBits(f) >>> 16));
            float upper = Reductions.bf16ToFloat((short) ((Float.floatToRawIntBits(f) >>> 16) + 1));
            double dl = Math.abs((double) f - lower);
            double du = Math.abs((double) f - upper);
            float expected = dl < du ? lower : du < dl ? upper
                    : ((Float.floatToRawIntBits(lower) >>> 16) & 1) == 0 ? lower : upper;
            assertEquals(expected, Reductions.bf16ToFloat(b), "seed=" + seed + " value " + f);
        }
        assertEquals((short) 0x3f80, Reductions.floatToBf16(1.0f));
        assertEquals(true, Float.isNaN(Reductions.bf16ToFloat(Reductions.floatToBf16(Float.NaN))));
    }
}
