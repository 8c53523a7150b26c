package numatp.models.kernels;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import numatp.weights.Dequant;
import numatp.weights.quant.Q4KLayout;
import numatp.weights.quant.Q6KLayout;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

import static numatp.models.kernels.MatVec.B;
import static numatp.models.kernels.MatVec.F;
import static numatp.models.kernels.MatVec.L;
import static numatp.models.kernels.MatVec.sum;

/**
 * Vector kernels for Q4_K and Q6_K rows (the Q4_K_M mix), for {@link MatVec} and {@link MatMul};
 * they need {@link MatVec#QUANT_VECTOR} (L of 8 or 16 divides the 16- and 32-element
 * sub-blocks). Q6_K decodes each L-lane piece to exactly the f32 weights {@link Dequant} gives
 * ((d * scale) * (q - 32)) and accumulates them by FMA in four chains. Q4_K is factored per
 * 32-element sub-block: (d * scale) * sum(q * x) - (dmin * min) * sum(x), with d * scale and
 * dmin * min decoded once per row (the products {@link Dequant} uses) and the sums of x over
 * each sub-block computed once per call ({@link #q4kSubSums}: x is shared by all rows); with x
 * a unit vector this is still exactly {@link Dequant}'s weight. The lanes are summed by
 * {@link MatVec#sum}. So results differ from {@link ScalarMatVec} by f32 rounding order only
 * (for Q4_K: where the scale multiplies and the min is subtracted), and a batch entry's result
 * in {@link #q4kRows4}/{@link #q6kRows4} is bitwise that of {@link #q4kRow}/{@link #q6kRow}.
 * Allocation-free once a thread's scratch has grown to the row length.
 */
final class KQuantKernels {
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final int NIBBLE = 0x0F0F0F0F;
    private static final int TOP_BITS = 0x30303030;
    private static final int SIX_BITS = 0x3F3F3F3F;
    /** Per-thread 8 bytes: a super-block's eight scales (or mins), packed in a long, read back as one byte piece. */
    private static final ThreadLocal<byte[]> PACKED = ThreadLocal.withInitial(() -> new byte[8]);
    private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, LE);
    /** Eight bytes to eight floats: the AVX2 path's own shapes, intrinsified on AVX-512 too. */
    private static final VectorSpecies<Byte> B8 = ByteVector.SPECIES_64;
    private static final VectorSpecies<Float> F8 = FloatVector.SPECIES_256;
    /** Per-thread scratch: [0] {@link #q4kSubSums}, [1] {@link #q4kScales}; grown, never shrunk, so a warm thread allocates nothing. */
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[2][0]);

    private KQuantKernels() {
    }


    static void q4k(MemorySegment w, int cols, int rowFrom, int rowTo, float[] x, int xOff, float[] out, int outOff) {
        final int blocks = cols / Q4KLayout.BLOCK_ELEMENTS;
        final long rowBytes = (long) Q4KLayout.BLOCK_BYTES * blocks;
        final float[] sums = q4kSubSums(x, xOff, 0, 1, cols);
        final float[] scales = q4kScaleScratch(blocks);
        final float[] lanes = MatMul.lanes();
        for (int r = rowFrom; r < rowTo; r++) {
            q4kScales(w, r * rowBytes, blocks, scales);
            out[outOff + r] = q4kRow(w, r * rowBytes, blocks, x, xOff, sums, 0, scales, lanes);
        }
    }

    /**
     * The sums of x over each 32-element Q4_K sub-block, for entries e in [0, n) (x at
     * xOff + e * xStride, cols elements each): sum j of entry e at [e * cols / 32 + j], each a
     * plain left-to-right f32 sum, so the one-row and four-entry kernels see the same values.
     * Returns this thread's scratch (valid until its next call).
     */
    static float[] q4kSubSums(float[] x, int xOff, int xStride, int n, int cols) {
        final int subs = cols / Q4KLayout.SUB_ELEMENTS;
        final float[][] holder = SCRATCH.get();
        if (holder[0].length < n * subs) {
            holder[0] = new float[n * subs];
        }
        final float[] sums = holder[0];
        for (int e = 0; e < n; e++) {
            final int xe = xOff + e * xStride;
            for (int j = 0; j < subs; j++) {
                float s = 0f;
                final int from = xe + Q4KLayout.SUB_ELEMENTS * j;
                for (int i = 0; i < Q4KLayout.SUB_ELEMENTS; i++) {
                    s += x[from + i];
                }
                sums[e * subs + j] = s;
            }
        }
        return sums;
    }

    /** This thread's scratch for {@link #q4kScales} of rows of {@code blocks} super-blocks. */
    static float[] q4kScaleScratch(int blocks) {
        final float[][] holder = SCRATCH.get();
        if (holder[1].length < 16 * blocks) {
            holder[1] = new float[16 * blocks];
        }
        return holder[1];
    }

    /**
     * First pass over a Q4_K row: the products {@link Dequant} uses, d * scale_j at
     * [8b + j] and dmin * min_j at [8 * blocks + 8b + j] for super-block b and sub-block j.
     * The twelve scale bytes are read as a long and an int and unpacked four sub-blocks at a
     * time (bytes of packed ints), with no per-sub-block branch: sub-blocks 0..3 keep scale and
     * min in the low 6 bits of bytes j and j + 4, sub-blocks 4..7 their low 4 bits in the
     * nibbles of byte j + 4 and their top 2 bits in the top bits of bytes j - 4 and j. The eight
     * scales (then the eight mins), packed in a long, go through a per-thread byte[8] to one
     * 8-byte piece: eight floats, one multiply (16 scalar conversions and products per
     * super-block made the whole kernel 1.2-1.3x slower).
     */
    static void q4kScales(MemorySegment w, long base, int blocks, float[] scales) {
        final int mo = 8 * blocks;
        final byte[] packed = PACKED.get();
        for (int b = 0; b < blocks; b++) {
            final long block = base + (long) Q4KLayout.BLOCK_BYTES * b;
            final float d = Float.float16ToFloat(w.get(Dequant.I16, block + Q4KLayout.D));
            final float dmin = Float.float16ToFloat(w.get(Dequant.I16, block + Q4KLayout.DMIN));
            final long low8 = Q4KLayout.scalesLow(w, block);
            final int high4 = Q4KLayout.scalesHigh(w, block);
            final int sc03 = (int) low8 & SIX_BITS;
            final int m03 = (int) (low8 >>> 32) & SIX_BITS;
            final int sc47 = (high4 & NIBBLE) | ((int) (low8 >>> 2) & TOP_BITS);
            final int m47 = ((high4 >>> 4) & NIBBLE) | ((int) (low8 >>> 34) & TOP_BITS);
            final int o = 8 * b;
            LONG_LE.set(packed, 0, (sc03 & 0xFFFFFFFFL) | ((long) sc47 << 32));
            ((FloatVector) ByteVector.fromArray(B8, packed, 0).convertShape(VectorOperators.B2F, F8, 0)).mul(d)
                    .intoArray(scales, o);
            LONG_LE.set(packed, 0, (m03 & 0xFFFFFFFFL) | ((long) m47 << 32));
            ((FloatVector) ByteVector.fromArray(B8, packed, 0).convertShape(VectorOperators.B2F, F8, 0)).mul(dmin)
                    .intoArray(scales, mo + o);
        }
    }

    /**
     * The min term of one entry: sum over sub-blocks of (dmin * min) * xSums[so + j], lanes by
     * FMA, the fixed-tree sum (through lanes[0, L), overwritten), then the tail.
     */
    static float q4kMins(float[] scales, int blocks, float[] xSums, int so, float[] lanes) {
        final int subs = 8 * blocks;
        final int bound = F.loopBound(subs);
        FloatVector acc = FloatVector.zero(F);
        int j = 0;
        for (; j < bound; j += L) {
            acc = FloatVector.fromArray(F, scales, subs + j).fma(FloatVector.fromArray(F, xSums, so + j), acc);
        }
        acc.intoArray(lanes, 0);
        float s = sum(lanes, 0);
        for (; j < subs; j++) {
            s += scales[subs + j] * xSums[so + j];
        }
        return s;
    }

    /**
     * One Q4_K row, factored per sub-block s as (d * scale_s) * sum(q * x) - (dmin * min_s) * sum(x),
     * in two passes: {@link #q4kScales} has decoded the scale products into {@code scales} (the
     * caller runs it: inside this method it pushed C2 past NodeCountInliningCutoff, and the lane
     * sum was left a call that boxed its vector every row), then,
     * chunk-major, for each 64-element chunk position c (0..3: sub-blocks 2c on the low and
     * 2c + 1 on the high nibbles of the same 32 bytes) and each super-block b, the L-lane pieces
     * l in order: sLo += lo * x[256b + 64c + l], sHi += hi * x[256b + 64c + 32 + l] (the first
     * piece a multiply, the rest FMA; the nibbles are exact small floats), then
     * accLo += sLo * (d * scale_2c), accHi += sHi * (d * scale_2c+1) by FMA. The result is the
     * lane sum of accLo + accHi minus {@link #q4kMins}. The inner loop runs over super-blocks, so
     * its offsets are linear in its counter, and it holds no scalar decoding: the scale work was
     * what limited the one-pass kernels (about 100 instructions per 64 weights, 25 of them vector).
     * With x a unit vector the result is exactly {@link Dequant}'s (d * scale) * q - (dmin * min).
     */
    static float q4kRow(MemorySegment w, long base, int blocks, float[] x, int xo, float[] xSums, int so,
                        float[] scales, float[] lanes) {
        FloatVector accLo = FloatVector.zero(F);
        FloatVector accHi = FloatVector.zero(F);
        for (int c = 0; c < 4; c++) {
            for (int b = 0; b < blocks; b++) {
                final long qs = base + (long) Q4KLayout.BLOCK_BYTES * b + Q4KLayout.QS + 32L * c;
                final int xc = xo + Q4KLayout.BLOCK_ELEMENTS * b + 64 * c;
                IntVector p0 = ByteVector.fromMemorySegment(B, w, qs, LE).reinterpretAsInts();
                FloatVector sLo = nibbles(p0).mul(FloatVector.fromArray(F, x, xc));
                FloatVector sHi = nibbles(p0.lanewise(VectorOperators.LSHR, 4)).mul(FloatVector.fromArray(F, x, xc + 32));
                if (L == 16) {
                    // the second piece written out: a one-trip inner loop's set-up cost more than the piece
                    IntVector p1 = ByteVector.fromMemorySegment(B, w, qs + L, LE).reinterpretAsInts();
                    sLo = nibbles(p1).fma(FloatVector.fromArray(F, x, xc + L), sLo);
                    sHi = nibbles(p1.lanewise(VectorOperators.LSHR, 4)).fma(FloatVector.fromArray(F, x, xc + 32 + L), sHi);
                } else {
                    // three more pieces in a loop: written out, they pushed C2 past NodeCountInliningCutoff
                    for (int l = L; l < 32; l += L) {
                        IntVector p = ByteVector.fromMemorySegment(B, w, qs + l, LE).reinterpretAsInts();
                        sLo = nibbles(p).fma(FloatVector.fromArray(F, x, xc + l), sLo);
                        sHi = nibbles(p.lanewise(VectorOperators.LSHR, 4)).fma(FloatVector.fromArray(F, x, xc + 32 + l), sHi);
                    }
                }
                final int j = 8 * b + 2 * c;
                accLo = sLo.fma(FloatVector.broadcast(F, scales[j]), accLo);
                accHi = sHi.fma(FloatVector.broadcast(F, scales[j + 1]), accHi);
            }
        }
        accLo.add(accHi).intoArray(lanes, 0);
        final float dot = sum(lanes, 0);
        return dot - q4kMins(scales, blocks, xSums, so, lanes);
    }

    /** The low nibble of each byte of {@code packed} as f32 (0..15, exact). */
    private static FloatVector nibbles(IntVector packed) {
        return (FloatVector) packed.and(NIBBLE).reinterpretAsBytes().convertShape(VectorOperators.B2F, F, 0);
    }

    /**
     * Four entries (x at x0..x3, their sub-block sums at xSums[s0..s3 + j]) of one Q4_K row, each
     * in {@link #q4kRow}'s order; results into out[o + k * stride] (lane sums through
     * {@code lanes}, see {@link MatMul#lanes()}). Per chunk the low-nibble pieces go to all four
     * entries, then the high ones: each chain keeps its order, and AVX2's 16 registers hold it.
     */
    static void q4kRows4(MemorySegment w, long base, int blocks, float[] x, int x0, int x1, int x2, int x3,
                         float[] xSums, int s0, int s1, int s2, int s3, float[] scales, float[] lanes, float[] out,
                         int o, int stride) {
        q4kScales(w, base, blocks, scales);
        FloatVector lo0 = FloatVector.zero(F);
        FloatVector lo1 = FloatVector.zero(F);
        FloatVector lo2 = FloatVector.zero(F);
        FloatVector lo3 = FloatVector.zero(F);
        FloatVector hi0 = FloatVector.zero(F);
        FloatVector hi1 = FloatVector.zero(F);
        FloatVector hi2 = FloatVector.zero(F);
        FloatVector hi3 = FloatVector.zero(F);
        for (int c = 0; c < 4; c++) {
            for (int b = 0; b < blocks; b++) {
                final long qs = base + (long) Q4KLayout.BLOCK_BYTES * b + Q4KLayout.QS + 32L * c;
                for (int k = 0; k < 2; k++) {
                    final int j = Q4KLayout.BLOCK_ELEMENTS * b + 64 * c + 32 * k;
                    FloatVector q = nibbles(ByteVector.fromMemorySegment(B, w, qs, LE).reinterpretAsInts()
                            .lanewise(VectorOperators.LSHR, 4 * k));
                    FloatVector t0 = q.mul(FloatVector.fromArray(F, x, x0 + j));
                    FloatVector t1 = q.mul(FloatVector.fromArray(F, x, x1 + j));
                    FloatVector t2 = q.mul(FloatVector.fromArray(F, x, x2 + j));
                    FloatVector t3 = q.mul(FloatVector.fromArray(F, x, x3 + j));
                    for (int l = L; l < 32; l += L) {
                        q = nibbles(ByteVector.fromMemorySegment(B, w, qs + l, LE).reinterpretAsInts()
                                .lanewise(VectorOperators.LSHR, 4 * k));
                        t0 = q.fma(FloatVector.fromArray(F, x, x0 + j + l), t0);
                        t1 = q.fma(FloatVector.fromArray(F, x, x1 + j + l), t1);
                        t2 = q.fma(FloatVector.fromArray(F, x, x2 + j + l), t2);
                        t3 = q.fma(FloatVector.fromArray(F, x, x3 + j + l), t3);
                    }
                    // fold into the low chains, then swap: after k = 1 lo* and hi* are back in place
                    FloatVector dl = FloatVector.broadcast(F, scales[8 * b + 2 * c + k]);
                    FloatVector n0 = t0.fma(dl, lo0);
                    FloatVector n1 = t1.fma(dl, lo1);
                    FloatVector n2 = t2.fma(dl, lo2);
                    FloatVector n3 = t3.fma(dl, lo3);
                    lo0 = hi0;
                    lo1 = hi1;
                    lo2 = hi2;
                    lo3 = hi3;
                    hi0 = n0;
                    hi1 = n1;
                    hi2 = n2;
                    hi3 = n3;
                }
            }
        }
        lo0.add(hi0).intoArray(lanes, 0);
        lo1.add(hi1).intoArray(lanes, L);
        lo2.add(hi2).intoArray(lanes, 2 * L);
        lo3.add(hi3).intoArray(lanes, 3 * L);
        // each entry's lane sum is taken before q4kMins reuses lanes[0, L) (entry 0's, already summed)
        final float dot0 = sum(lanes, 0);
        out[o] = dot0 - q4kMins(scales, blocks, xSums, s0, lanes);
        final float dot1 = sum(lanes, L);
        out[o + stride] = dot1 - q4kMins(scales, blocks, xSums, s1, lanes);
        final float dot2 = sum(lanes, 2 * L);
        out[o + 2 * stride] = dot2 - q4kMins(scales, blocks, xSums, s2, lanes);
        final float dot3 = sum(lanes, 3 * L);
        out[o + 3 * stride] = dot3 - q4kMins(scales, blocks, xSums, s3, lanes);
    }

    static void q6k(MemorySegment w, int cols, int rowFrom, int rowTo, float[] x, int xOff, float[] out, int outOff) {
        final int blocks = cols / Q6KLayout.BLOCK_ELEMENTS;
        final long rowBytes = (long) Q6KLayout.BLOCK_BYTES * blocks;
        final float[] lanes = MatMul.lanes();
        for (int r = rowFrom; r < rowTo; r++) {
            out[outOff + r] = q6kRow(w, r * rowBytes, blocks, x, xOff, lanes);
        }
    }

    /**
     * One Q6_K row: per half h of each super-block and L-lane piece l of its 32 columns, the
     * four elements 128h + 32p + l (p 0..3) from the low (p &lt; 2) or high nibbles of
     * ql[32 (p % 2) + l] and bits 2p..2p+1 of qh[l], each weight (d * scale) * (q - 32) with the
     * scale of sub-block 8h + 2p + l / 16, accumulated by FMA into chain a_p; the lane sum of
     * (a0 + a1) + (a2 + a3) at the end, through {@code lanes} (see {@link MatVec#sum(float[], int)}).
     * The 16 scale products come from {@link #q6kScales}, per super-block.
     */
    static float q6kRow(MemorySegment w, long base, int blocks, float[] x, int xo, float[] lanes) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            final long block = base + (long) Q6KLayout.BLOCK_BYTES * b;
            q6kScales(w, block, lanes);
            for (int h = 0; h < 2; h++) {
                final long ql = block + Q6KLayout.QL + 64L * h;
                final long qh = block + Q6KLayout.QH + 32L * h;
                final int xh = xo + Q6KLayout.BLOCK_ELEMENTS * b + 128 * h;
                for (int l = 0; l < 32; l += L) {
                    final int g = 8 * h + l / Q6KLayout.SUB_ELEMENTS;
                    IntVector lowA = ByteVector.fromMemorySegment(B, w, ql + l, LE).reinterpretAsInts();
                    IntVector lowB = ByteVector.fromMemorySegment(B, w, ql + 32 + l, LE).reinterpretAsInts();
                    IntVector high = ByteVector.fromMemorySegment(B, w, qh + l, LE).reinterpretAsInts();
                    for (int k = 0; k < 2; k++) {
                        final int xl = xh + l + 64 * k;
                        final int sc = g + 4 * k;
                        FloatVector n0 = q6k(lowA, high, 2 * k, lanes[sc])
                                .fma(FloatVector.fromArray(F, x, xl), a0);
                        FloatVector n1 = q6k(lowB, high, 2 * k + 1, lanes[sc + 2])
                                .fma(FloatVector.fromArray(F, x, xl + 32), a1);
                        a0 = a2;
                        a1 = a3;
                        a2 = n0;
                        a3 = n1;
                    }
                }
            }
        }
        a0.add(a1).add(a2.add(a3)).intoArray(lanes, 0);
        return sum(lanes, 0);
    }

    /** Four entries (x at x0..x3) of one Q6_K row, each in {@link #q6kRow}'s order; results into out[o + k * stride] (lane sums through {@code lanes}). */
    static void q6kRows4(MemorySegment w, long base, int blocks, float[] x, int x0, int x1, int x2, int x3,
                         float[] lanes, float[] out, int o, int stride) {
        FloatVector a00 = FloatVector.zero(F);
        FloatVector a01 = FloatVector.zero(F);
        FloatVector a02 = FloatVector.zero(F);
        FloatVector a03 = FloatVector.zero(F);
        FloatVector a10 = FloatVector.zero(F);
        FloatVector a11 = FloatVector.zero(F);
        FloatVector a12 = FloatVector.zero(F);
        FloatVector a13 = FloatVector.zero(F);
        FloatVector a20 = FloatVector.zero(F);
        FloatVector a21 = FloatVector.zero(F);
        FloatVector a22 = FloatVector.zero(F);
        FloatVector a23 = FloatVector.zero(F);
        FloatVector a30 = FloatVector.zero(F);
        FloatVector a31 = FloatVector.zero(F);
        FloatVector a32 = FloatVector.zero(F);
        FloatVector a33 = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            final long block = base + (long) Q6KLayout.BLOCK_BYTES * b;
            q6kScales(w, block, lanes);
            for (int h = 0; h < 2; h++) {
                final long ql = block + Q6KLayout.QL + 64L * h;
                final long qh = block + Q6KLayout.QH + 32L * h;
                final int xh = Q6KLayout.BLOCK_ELEMENTS * b + 128 * h;
                for (int l = 0; l < 32; l += L) {
                    final int g = 8 * h + l / Q6KLayout.SUB_ELEMENTS;
                    IntVector lowA = ByteVector.fromMemorySegment(B, w, ql + l, LE).reinterpretAsInts();
                    IntVector lowB = ByteVector.fromMemorySegment(B, w, ql + 32 + l, LE).reinterpretAsInts();
                    IntVector high = ByteVector.fromMemorySegment(B, w, qh + l, LE).reinterpretAsInts();
                    for (int k = 0; k < 2; k++) {
                        final int j = xh + l + 64 * k;
                        final int sc = g + 4 * k;
                        FloatVector wA = q6k(lowA, high, 2 * k, lanes[sc]);
                        FloatVector wB = q6k(lowB, high, 2 * k + 1, lanes[sc + 2]);
                        FloatVector n00 = wA.fma(FloatVector.fromArray(F, x, x0 + j), a00);
                        FloatVector n10 = wA.fma(FloatVector.fromArray(F, x, x1 + j), a10);
                        FloatVector n20 = wA.fma(FloatVector.fromArray(F, x, x2 + j), a20);
                        FloatVector n30 = wA.fma(FloatVector.fromArray(F, x, x3 + j), a30);
                        FloatVector n01 = wB.fma(FloatVector.fromArray(F, x, x0 + j + 32), a01);
                        FloatVector n11 = wB.fma(FloatVector.fromArray(F, x, x1 + j + 32), a11);
                        FloatVector n21 = wB.fma(FloatVector.fromArray(F, x, x2 + j + 32), a21);
                        FloatVector n31 = wB.fma(FloatVector.fromArray(F, x, x3 + j + 32), a31);
                        a00 = a02;
                        a10 = a12;
                        a20 = a22;
                        a30 = a32;
                        a01 = a03;
                        a11 = a13;
                        a21 = a23;
                        a31 = a33;
                        a02 = n00;
                        a12 = n10;
                        a22 = n20;
                        a32 = n30;
                        a03 = n01;
                        a13 = n11;
                        a23 = n21;
                        a33 = n31;
                    }
                }
            }
        }
        a00.add(a01).add(a02.add(a03)).intoArray(lanes, 0);
        a10.add(a11).add(a12.add(a13)).intoArray(lanes, L);
        a20.add(a21).add(a22.add(a23)).intoArray(lanes, 2 * L);
        a30.add(a31).add(a32.add(a33)).intoArray(lanes, 3 * L);
        out[o] = sum(lanes, 0);
        out[o + stride] = sum(lanes, L);
        out[o + 2 * stride] = sum(lanes, 2 * L);
        out[o + 3 * stride] = sum(lanes, 3 * L);
    }

    /**
     * A Q6_K super-block's sixteen scale products d * scale_i (the products {@link Dequant} uses)
     * at lanes[0, 16): its signed scale bytes as floats, L at a time, times d. Read by the row
     * kernels from the array: the per-piece shift, cast, conversion and multiply they replace
     * were a quarter of the loop's instructions. The kernels store their accumulators in
     * {@code lanes} only after the last super-block.
     */
    private static void q6kScales(MemorySegment w, long block, float[] lanes) {
        final float d = Float.float16ToFloat(w.get(Dequant.I16, block + Q6KLayout.D));
        for (int i = 0; i < 16; i += L) {
            ((FloatVector) ByteVector.fromMemorySegment(B, w, block + Q6KLayout.SCALES + i, LE)
                    .convertShape(VectorOperators.B2F, F, 0)).mul(d).intoArray(lanes, i);
        }
    }

    /**
     * Element piece p (0..3) of a Q6_K half as f32 weights: the low (p &lt; 2) or high nibble of
     * each byte of {@code low}, bits 2p..2p+1 of {@code high} on top, minus 32, times dl.
     * Shifts in 32-bit lanes (x86 has no byte shift) with per-byte masks: no bit needed leaves
     * its byte before the mask.
     */
    private static FloatVector q6k(IntVector low, IntVector high, int p, float dl) {
        IntVector nibble = low.lanewise(VectorOperators.LSHR, 4 * (p >> 1)).and(NIBBLE);
        IntVector top = high.lanewise(VectorOperators.LSHR, 2 * p).lanewise(VectorOperators.LSHL, 4).and(TOP_BITS);
        ByteVector q = nibble.or(top).reinterpretAsBytes().sub((byte) 32);
        return ((FloatVector) q.convertShape(VectorOperators.B2F, F, 0)).mul(dl);
    }
}
