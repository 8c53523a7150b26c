package numatp.collectives.reduce;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import numatp.collectives.ElementType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Element-wise sums and conversions over off-heap segments. Sums fold the sources left to
 * right in the order given ({@code ((s0 + s1) + s2) + ...}) in f32, so any two callers with
 * the same sources in the same order get bitwise-identical results; 16-bit types are widened
 * to f32, summed, and rounded once (round to nearest even) when stored as 16-bit.
 * Sources and destination may be unaligned; the destination may alias the first source.
 */
public final class Reductions {
    private static final VectorSpecies<Float> F32 = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;
    /**
     * Elements per block (8 KiB of f32) when more than two segments take part. A vector loop that
     * indexes an array of segments per element re-checks every segment each time and ran at
     * 10-17 GB/s in L2 on the dev machine; folding pairwise over blocks with two fixed segments
     * per loop ran at 60-75 GB/s (1-2K elements best). Keep every segment these kernels see
     * native: one heap segment in the mix (even a scratch) pollutes the loops' type profile and
     * slowed them to 6-7 GB/s.
     */
    private static final long BLOCK = 2048;
    /** Scratch {@link #sumToAll} needs: one block of f32. */
    public static final long SCRATCH_BYTES = BLOCK * 4;

    private Reductions() {
    }

    /**
     * {@code dst[i] = src[0][i] + ... + src[n-1][i]} for {@code count} elements, sources of
     * {@code srcType} at {@code src[k] + srcOffset[k]}, destination of {@code dstType}
     * ({@code dstType} is {@code srcType} or F32).
     */
    public static void sum(ElementType srcType, MemorySegment[] src, long[] srcOffset, int n,
                           ElementType dstType, MemorySegment dst, long dstOffset, long count) {
        if (srcType == ElementType.F32 && dstType == ElementType.F32) {
            sumF32(src, srcOffset, n, dst, dstOffset, count);
            return;
        }
        final int srcBytes = srcType.sizeBytes();
        for (long i = 0; i < count; i++) {
            float acc = load(srcType, src[0], srcOffset[0] + i * srcBytes);
            for (int k = 1; k < n; k++) {
                acc += load(srcType, src[k], srcOffset[k] + i * srcBytes);
            }
            store(dstType, dst, dstOffset + i * dstType.sizeBytes(), acc);
        }
    }

    /**
     * {@code dst[k][i] = src[0][i] + ... + src[n-1][i]} for every destination k: reads each
     * source once and writes each destination once (the in-place allreduce's pushed slice).
     * Sources and destinations have type {@code type}; 16-bit sums are accumulated in f32 and
     * rounded once, so every destination holds the value {@link #sum} would store. A destination
     * may alias a source at the same offset: an element's sources are all read before any of its
     * destinations is written. {@code scratch}: at least {@link #SCRATCH_BYTES} of native memory
     * for one block of partial sums (used beyond two sources or destinations).
     */
    public static void sumToAll(ElementType type, MemorySegment[] src, long[] srcOffset, int n,
                                MemorySegment[] dst, long[] dstOffset, int m, long count, MemorySegment scratch) {
        boolean vectors = type == ElementType.F32 && vectorizable(scratch);
        for (int k = 0; k < n; k++) {
            vectors &= vectorizable(src[k]);
        }
        for (int k = 0; k < m; k++) {
            vectors &= vectorizable(dst[k]);
        }
        final long bound = vectors ? F32.loopBound(count) : 0;
        if (n == 2 && m == 2) {
            // Two ranks, the common case: one fused pass, every segment in a local.
            final MemorySegment s0 = src[0];
            final MemorySegment s1 = src[1];
            final MemorySegment d0 = dst[0];
            final MemorySegment d1 = dst[1];
            final long o0 = srcOffset[0];
            final long o1 = srcOffset[1];
            final long p0 = dstOffset[0];
            final long p1 = dstOffset[1];
            final int lanes = F32.length();
            for (long i = 0; i < bound; i += lanes) {
                FloatVector acc = FloatVector.fromMemorySegment(F32, s0, o0 + i * 4, ORDER)
                        .add(FloatVector.fromMemorySegment(F32, s1, o1 + i * 4, ORDER));
                acc.intoMemorySegment(d0, p0 + i * 4, ORDER);
                acc.intoMemorySegment(d1, p1 + i * 4, ORDER);
            }
        } else {
            // Blocks that stay in L1, folded pairwise into scratch and copied out (see BLOCK).
            for (long b = 0; b < bound; b += BLOCK) {
                final long len = Math.min(BLOCK, bound - b);
                if (n == 1) {
                    MemorySegment.copy(src[0], srcOffset[0] + b * 4, scratch, 0, len * 4);
                } else {
                    add2(src[0], srcOffset[0] + b * 4, src[1], srcOffset[1] + b * 4, scratch, 0, len);
                }
                for (int k = 2; k < n; k++) {
                    add2(scratch, 0, src[k], srcOffset[k] + b * 4, scratch, 0, len);
                }
                for (int k = 0; k < m; k++) {
                    MemorySegment.copy(scratch, 0, dst[k], dstOffset[k] + b * 4, len * 4);
                }
            }
        }
        final int es = type.sizeBytes();
        for (long i = bound; i < count; i++) {
            float acc = load(type, src[0], srcOffset[0] + i * es);
            for (int k = 1; k < n; k++) {
                acc += load(type, src[k], srcOffset[k] + i * es);
            }
            for (int k = 0; k < m; k++) {
                store(type, dst[k], dstOffset[k] + i * es, acc);
            }
        }
    }

    /** {@code d[i] = a[i] + b[i]} for {@code count} f32 elements, a multiple of the vector length. */
    private static void add2(MemorySegment a, long aOffset, MemorySegment b, long bOffset, MemorySegment d,
                             long dOffset, long count) {
        final int lanes = F32.length();
        for (long i = 0; i < count; i += lanes) {
            FloatVector.fromMemorySegment(F32, a, aOffset + i * 4, ORDER)
                    .add(FloatVector.fromMemorySegment(F32, b, bOffset + i * 4, ORDER))
                    .intoMemorySegment(d, dOffset + i * 4, ORDER);
        }
    }

    /** {@code dst[i] = a[i] + b[i]}: {@code a} and {@code dst} are f32, {@code b} is {@code bType}. */
    public static void add(MemorySegment a, long aOffset, ElementType bType, MemorySegment b, long bOffset,
                           MemorySegment dst, long dstOffset, long count) {
        if (bType == ElementType.F32) {
            long bound = vectorizable(a) && vectorizable(b) && vectorizable(dst) ? F32.loopBound(count) : 0;
            long i = 0;
            for (; i < bound; i += F32.length()) {
                FloatVector.fromMemorySegment(F32, a, aOffset + i * 4, ORDER)
                        .add(FloatVector.fromMemorySegment(F32, b, bOffset + i * 4, ORDER))
                        .intoMemorySegment(dst, dstOffset + i * 4, ORDER);
            }
            for (; i < count; i++) {
                dst.set(FLOAT, dstOffset + i * 4, a.get(FLOAT, aOffset + i * 4) + b.get(FLOAT, bOffset + i * 4));
            }
            return;
        }
        for (long i = 0; i < count; i++) {
            dst.set(FLOAT, dstOffset + i * 4, a.get(FLOAT, aOffset + i * 4) + load(bType, b, bOffset + i * 2));
        }
    }

    /** Copies {@code count} elements converting {@code from} to {@code to} (plain copy when equal). */
    public static void convert(ElementType from, MemorySegment src, long srcOffset,
                               ElementType to, MemorySegment dst, long dstOffset, long count) {
        if (from == to) {
            MemorySegment.copy(src, srcOffset, dst, dstOffset, count * from.sizeBytes());
            return;
        }
        final int fromBytes = from.sizeBytes();
        final int toBytes = to.sizeBytes();
        for (long i = 0; i < count; i++) {
            store(to, dst, dstOffset + i * toBytes, load(from, src, srcOffset + i * fromBytes));
        }
    }

    private static void sumF32(MemorySegment[] src, long[] srcOffset, int n, MemorySegment dst, long dstOffset,
                               long count) {
        boolean vectors = vectorizable(dst);
        for (int k = 0; k < n; k++) {
            vectors &= vectorizable(src[k]);
        }
        final long bound = vectors ? F32.loopBound(count) : 0;
        final int lanes = F32.length();
        final MemorySegment s0 = src[0];
        final long o0 = srcOffset[0];
        long i = 0;
        if (n == 2) {
            final MemorySegment s1 = src[1];
            final long o1 = srcOffset[1];
            for (; i < bound; i += lanes) {
                FloatVector.fromMemorySegment(F32, s0, o0 + i * 4, ORDER)
                        .add(FloatVector.fromMemorySegment(F32, s1, o1 + i * 4, ORDER))
                        .intoMemorySegment(dst, dstOffset + i * 4, ORDER);
            }
        } else {
            // Blocks that stay in L1, folded pairwise into dst (see BLOCK); dst may alias only
            // the first source, which the first pair consumes.
            for (long b = 0; b < bound; b += BLOCK) {
                final long len = Math.min(BLOCK, bound - b);
                if (n == 1) {
                    MemorySegment.copy(s0, o0 + b * 4, dst, dstOffset + b * 4, len * 4);
                    continue;
                }
                add2(s0, o0 + b * 4, src[1], srcOffset[1] + b * 4, dst, dstOffset + b * 4, len);
                for (int k = 2; k < n; k++) {
                    add2(dst, dstOffset + b * 4, src[k], srcOffset[k] + b * 4, dst, dstOffset + b * 4, len);
                }
            }
            i = bound;
        }
        for (; i < count; i++) {
            float acc = s0.get(FLOAT, o0 + i * 4);
            for (int k = 1; k < n; k++) {
                acc += src[k].get(FLOAT, srcOffset[k] + i * 4);
            }
            dst.set(FLOAT, dstOffset + i * 4, acc);
        }
    }

    /** The Vector API reads and writes native segments and heap segments over byte[] only. */
    private static boolean vectorizable(MemorySegment segment) {
        return segment.isNative() || segment.heapBase().orElse(null) instanceof byte[];
    }

    /** Reads one element of {@code type} as f32. */
    public static float load(ElementType type, MemorySegment segment, long offset) {
        return switch (type) {
            case F32 -> segment.get(FLOAT, offset);
            case BF16 -> bf16ToFloat(segment.get(SHORT, offset));
            case F16 -> Float.float16ToFloat(segment.get(SHORT, offset));
        };
    }

    /** Writes {@code value} as one element of {@code type}, rounding to nearest even. */
    public static void store(ElementType type, MemorySegment segment, long offset, float value) {
        switch (type) {
            case F32 -> segment.set(FLOAT, offset, value);
            case BF16 -> segment.set(SHORT, offset, floatToBf16(value));
            case F16 -> segment.set(SHORT, offset, Float.floatToFloat16(value));
        }
    }

    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    /** Round to nearest even; NaN stays a (quiet) NaN. */
    public static short floatToBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7fff_ffff) > 0x7f80_0000) {
            return (short) ((bits >>> 16) | 0x40);
        }
        return (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
    }
}
