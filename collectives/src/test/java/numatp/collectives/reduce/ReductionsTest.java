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
                int count = random.nextBoolean() ? random.nextInt(0, 200) : random.nextInt(0, 10_000); // blocks of 2048
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
    void sumToAllWritesTheLeftFoldToEveryDestinationEvenInPlace() {
        long seed = System.nanoTime();
        SplittableRandom random = new SplittableRandom(seed);
        try (Arena arena = Arena.ofConfined()) {
            for (int trial = 0; trial < 300; trial++) {
                ElementType type = ElementType.values()[random.nextInt(ElementType.values().length)];
                int es = type.sizeBytes();
                int n = random.nextInt(1, 9);
                int count = random.nextBoolean() ? random.nextInt(0, 300) : random.nextInt(0, 10_000);
                boolean inPlace = random.nextBoolean();
                MemorySegment[] src = new MemorySegment[n];
                long[] offsets = new long[n];
                for (int k = 0; k < n; k++) {
                    src[k] = arena.allocate(count * (long) es + 8);
                    offsets[k] = random.nextInt(0, 3) * (long) es;
                    for (int i = 0; i < count; i++) {
                        Reductions.store(type, src[k], offsets[k] + (long) i * es, (float) random.nextGaussian());
                    }
                }
                // The naive twin: the left fold in f32, rounded once, computed before anything is overwritten.
                float[] expected = new float[count];
                for (int i = 0; i < count; i++) {
                    float acc = Reductions.load(type, src[0], offsets[0] + (long) i * es);
                    for (int k = 1; k < n; k++) {
                        acc += Reductions.load(type, src[k], offsets[k] + (long) i * es);
                    }
                    expected[i] = type == ElementType.BF16 ? Reductions.bf16ToFloat(Reductions.floatToBf16(acc))
                            : type == ElementType.F16 ? Float.float16ToFloat(Float.floatToFloat16(acc)) : acc;
                }
                int m = inPlace ? n : random.nextInt(1, 5);
                MemorySegment[] dst = inPlace ? src : new MemorySegment[m];
                long[] dstOffsets = inPlace ? offsets : new long[m];
                for (int k = 0; !inPlace && k < m; k++) {
                    dst[k] = arena.allocate(count * (long) es + 8);
                    dstOffsets[k] = random.nextInt(0, 3) * (long) es;
                }
                Reductions.sumToAll(type, src, offsets, n, dst, dstOffsets, m, count,
                        arena.allocate(Reductions.SCRATCH_BYTES));
                for (int k = 0; k < m; k++) {
                    for (int i = 0; i < count; i++) {
                        assertEquals(Float.floatToRawIntBits(expected[i]),
                                Float.floatToRawIntBits(Reductions.load(type, dst[k], dstOffsets[k] + (long) i * es)),
                                "seed=" + seed + " trial=" + trial + " type=" + type + " n=" + n + " inPlace=" + inPlace
                                        + " destination " + k + " element " + i);
                    }
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
