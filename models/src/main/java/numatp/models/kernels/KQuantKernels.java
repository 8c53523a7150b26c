package numatp.models.kernels;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import numatp.weights.Dequant;
import numatp.weights.quant.Q4KLayout;
import numatp.weights.quant.Q6KLayout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static numatp.models.kernels.MatVec.B;
import static numatp.models.kernels.MatVec.F;
import static numatp.models.kernels.MatVec.L;
import static numatp.models.kernels.MatVec.sum;

/**
 * Vector kernels for Q4_K and Q6_K rows (the Q4_K_M mix), for {@link MatVec} and {@link MatMul};
 * they need {@link MatVec#QUANT_VECTOR} (L of 8 or 16 divides the 16- and 32-element
 * sub-blocks). Each L-lane piece of weights is decoded to exactly the f32 values
 * {@link Dequant} gives (scale products and the min subtracted as separate roundings, no
 * fusing), then accumulated by FMA in a fixed piece order, into one accumulator per row for
 * Q4_K and two for Q6_K (added at the end); the lanes are summed by {@link MatVec#sum}. So
 * results differ from {@link ScalarMatVec} only by f32 summation order, and a batch entry's
 * result in {@link #q4kRows4}/{@link #q6kRows4} is bitwise that of {@link #q4kRow}/{@link #q6kRow}.
 * Allocation-free.
 */
final class KQuantKernels {
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private KQuantKernels() {
    }

    static void q4k(MemorySegment w, int cols, int rowFrom, int rowTo, float[] x, int xOff, float[] out, int outOff) {
        final int blocks = cols / Q4KLayout.BLOCK_ELEMENTS;
        final long rowBytes = (long) Q4KLayout.BLOCK_BYTES * blocks;
        for (int r = rowFrom; r < rowTo; r++) {
            out[outOff + r] = q4kRow(w, r * rowBytes, blocks, x, xOff);
        }
    }

    /**
     * One Q4_K row: per 64-element chunk c of each super-block (sub-blocks 2c on the low nibbles,
     * 2c + 1 on the high nibbles of the same 32 bytes), per L-lane piece l: acc += lo * x[64c + l],
     * then acc += hi * x[64c + 32 + l], each weight (d * scale) * q - (dmin * min).
     */
    static float q4kRow(MemorySegment w, long base, int blocks, float[] x, int xo) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            final long block = base + (long) Q4KLayout.BLOCK_BYTES * b;
            final float d = Float.float16ToFloat(w.get(Dequant.I16, block + Q4KLayout.D));
            final float dmin = Float.float16ToFloat(w.get(Dequant.I16, block + Q4KLayout.DMIN));
            final long scalesLow = Q4KLayout.scalesLow(w, block);
            final int scalesHigh = Q4KLayout.scalesHigh(w, block);
            for (int c = 0; c < 4; c++) {
                final int smLo = Q4KLayout.scaleMin(scalesLow, scalesHigh, 2 * c);
                final int smHi = Q4KLayout.scaleMin(scalesLow, scalesHigh, 2 * c + 1);
                final float dLo = d * (smLo & 0xFF);
                final float mLo = dmin * (smLo >>> 8);
                final float dHi = d * (smHi & 0xFF);
                final float mHi = dmin * (smHi >>> 8);
                final long qs = block + Q4KLayout.QS + 32L * c;
                final int xc = xo + Q4KLayout.BLOCK_ELEMENTS * b + 64 * c;
                for (int l = 0; l < 32; l += L) {
                    ByteVector packed = ByteVector.fromMemorySegment(B, w, qs + l, LE);
                    acc = q4kLow(packed, dLo, mLo).fma(FloatVector.fromArray(F, x, xc + l), acc);
                    acc = q4kHigh(packed, dHi, mHi).fma(FloatVector.fromArray(F, x, xc + 32 + l), acc);
                }
            }
        }
        return sum(acc);
    }

    /** Four entries (x at x0..x3) of one Q4_K row, each in {@link #q4kRow}'s order; results into out[o + k * stride] (lane sums through {@code lanes}, see {@link MatMul#lanes()}). */
    static void q4kRows4(MemorySegment w, long base, int blocks, float[] x, int x0, int x1, int x2, int x3,
                         float[] lanes, float[] out, int o, int stride) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            final long block = base + (long) Q4KLayout.BLOCK_BYTES * b;
            final float d = Float.float16ToFloat(w.get(Dequant.I16, block + Q4KLayout.D));
            final float dmin = Float.float16ToFloat(w.get(Dequant.I16, block + Q4KLayout.DMIN));
            final long scalesLow = Q4KLayout.scalesLow(w, block);
            final int scalesHigh = Q4KLayout.scalesHigh(w, block);
            for (int c = 0; c < 4; c++) {
                final int smLo = Q4KLayout.scaleMin(scalesLow, scalesHigh, 2 * c);
                final int smHi = Q4KLayout.scaleMin(scalesLow, scalesHigh, 2 * c + 1);
                final float dLo = d * (smLo & 0xFF);
                final float mLo = dmin * (smLo >>> 8);
                final float dHi = d * (smHi & 0xFF);
                final float mHi = dmin * (smHi >>> 8);
                final long qs = block + Q4KLayout.QS + 32L * c;
                final int xc = Q4KLayout.BLOCK_ELEMENTS * b + 64 * c;
                for (int l = 0; l < 32; l += L) {
                    ByteVector packed = ByteVector.fromMemorySegment(B, w, qs + l, LE);
                    FloatVector lo = q4kLow(packed, dLo, mLo);
                    FloatVector hi = q4kHigh(packed, dHi, mHi);
                    final int lj = xc + l;
                    final int hj = xc + 32 + l;
                    a0 = hi.fma(FloatVector.fromArray(F, x, x0 + hj), lo.fma(FloatVector.fromArray(F, x, x0 + lj), a0));
                    a1 = hi.fma(FloatVector.fromArray(F, x, x1 + hj), lo.fma(FloatVector.fromArray(F, x, x1 + lj), a1));
                    a2 = hi.fma(FloatVector.fromArray(F, x, x2 + hj), lo.fma(FloatVector.fromArray(F, x, x2 + lj), a2));
                    a3 = hi.fma(FloatVector.fromArray(F, x, x3 + hj), lo.fma(FloatVector.fromArray(F, x, x3 + lj), a3));
                }
            }
        }
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, L);
        a2.intoArray(lanes, 2 * L);
        a3.intoArray(lanes, 3 * L);
        out[o] = sum(lanes, 0);
        out[o + stride] = sum(lanes, L);
        out[o + 2 * stride] = sum(lanes, 2 * L);
        out[o + 3 * stride] = sum(lanes, 3 * L);
    }

    private static FloatVector q4kLow(ByteVector packed, float dl, float ml) {
        FloatVector q = (FloatVector) packed.and((byte) 0x0F).convertShape(VectorOperators.B2F, F, 0);
        return q.mul(dl).sub(ml);
    }

    private static FloatVector q4kHigh(ByteVector packed, float dl, float ml) {
        FloatVector q = (FloatVector) packed.lanewise(VectorOperators.LSHR, 4).and((byte) 0x0F)
                .convertShape(VectorOperators.B2F, F, 0);
        return q.mul(dl).sub(ml);
    }

    static void q6k(MemorySegment w, int cols, int rowFrom, int rowTo, float[] x, int xOff, float[] out, int outOff) {
        final int blocks = cols / Q6KLayout.BLOCK_ELEMENTS;
        final long rowBytes = (long) Q6KLayout.BLOCK_BYTES * blocks;
        for (int r = rowFrom; r < rowTo; r++) {
            out[outOff + r] = q6kRow(w, r * rowBytes, blocks, x, xOff);
        }
    }

    /**
     * One Q6_K row: per half h of each super-block, 16-element group g (0..1: one scale per
     * piece), L-lane piece l and pair k (0..1), the elements 128h + 64k + 16g + l (a0) and
     * 128h + 64k + 32 + 16g + l (a1): the low (k = 0) or high nibbles of ql[16g + l] and
     * ql[32 + 16g + l], bits 4k..4k+1 and 4k+2..4k+3 of qh[16g + l] on top, minus 32, each
     * weight (d * scale) * (q - 32); sum(a0 + a1) at the end. Two decode call sites, not four:
     * with four (and constant shifts) C2 stopped inlining at NodeCountInliningCutoff and boxed
     * the vectors; the k loop keeps the parsed body small.
     */
    static float q6kRow(MemorySegment w, long base, int blocks, float[] x, int xo) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            final long block = base + (long) Q6KLayout.BLOCK_BYTES * b;
            final float d = Float.float16ToFloat(w.get(Dequant.I16, block + Q6KLayout.D));
            for (int h = 0; h < 2; h++) {
                for (int g = 0; g < 2; g++) {
                    final long sc = block + Q6KLayout.SCALES + 8L * h + g;
                    final long ql = block + Q6KLayout.QL + 64L * h + 16L * g;
                    final long qh = block + Q6KLayout.QH + 32L * h + 16L * g;
                    final int xg = xo + Q6KLayout.BLOCK_ELEMENTS * b + 128 * h + 16 * g;
                    for (int l = 0; l < 16; l += L) {
                        ByteVector lowA = ByteVector.fromMemorySegment(B, w, ql + l, LE);
                        ByteVector lowB = ByteVector.fromMemorySegment(B, w, ql + 32 + l, LE);
                        ByteVector high = ByteVector.fromMemorySegment(B, w, qh + l, LE);
                        for (int k = 0; k < 2; k++) {
                            final float dA = d * w.get(ValueLayout.JAVA_BYTE, sc + 4 * k);
                            final float dB = d * w.get(ValueLayout.JAVA_BYTE, sc + 4 * k + 2);
                            final int j = xg + l + 64 * k;
                            a0 = q6k(lowA, high, 4 * k, dA).fma(FloatVector.fromArray(F, x, j), a0);
                            a1 = q6k(lowB, high, 4 * k + 2, dB).fma(FloatVector.fromArray(F, x, j + 32), a1);
                        }
                    }
                }
            }
        }
        return sum(a0.add(a1));
    }

    /** Four entries (x at x0..x3) of one Q6_K row, each in {@link #q6kRow}'s order; results into out[o + k * stride] (lane sums through {@code lanes}). */
    static void q6kRows4(MemorySegment w, long base, int blocks, float[] x, int x0, int x1, int x2, int x3,
                         float[] lanes, float[] out, int o, int stride) {
        FloatVector a00 = FloatVector.zero(F);
        FloatVector a01 = FloatVector.zero(F);
        FloatVector a10 = FloatVector.zero(F);
        FloatVector a11 = FloatVector.zero(F);
        FloatVector a20 = FloatVector.zero(F);
        FloatVector a21 = FloatVector.zero(F);
        FloatVector a30 = FloatVector.zero(F);
        FloatVector a31 = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            final long block = base + (long) Q6KLayout.BLOCK_BYTES * b;
            final float d = Float.float16ToFloat(w.get(Dequant.I16, block + Q6KLayout.D));
            for (int h = 0; h < 2; h++) {
                for (int g = 0; g < 2; g++) {
                    final long sc = block + Q6KLayout.SCALES + 8L * h + g;
                    final long ql = block + Q6KLayout.QL + 64L * h + 16L * g;
                    final long qh = block + Q6KLayout.QH + 32L * h + 16L * g;
                    final int xg = Q6KLayout.BLOCK_ELEMENTS * b + 128 * h + 16 * g;
                    for (int l = 0; l < 16; l += L) {
                        ByteVector lowA = ByteVector.fromMemorySegment(B, w, ql + l, LE);
                        ByteVector lowB = ByteVector.fromMemorySegment(B, w, ql + 32 + l, LE);
                        ByteVector high = ByteVector.fromMemorySegment(B, w, qh + l, LE);
                        for (int k = 0; k < 2; k++) {
                            final float dA = d * w.get(ValueLayout.JAVA_BYTE, sc + 4 * k);
                            final float dB = d * w.get(ValueLayout.JAVA_BYTE, sc + 4 * k + 2);
                            FloatVector wA = q6k(lowA, high, 4 * k, dA);
                            FloatVector wB = q6k(lowB, high, 4 * k + 2, dB);
                            final int j = xg + l + 64 * k;
                            a00 = wA.fma(FloatVector.fromArray(F, x, x0 + j), a00);
                            a01 = wB.fma(FloatVector.fromArray(F, x, x0 + j + 32), a01);
                            a10 = wA.fma(FloatVector.fromArray(F, x, x1 + j), a10);
                            a11 = wB.fma(FloatVector.fromArray(F, x, x1 + j + 32), a11);
                            a20 = wA.fma(FloatVector.fromArray(F, x, x2 + j), a20);
                            a21 = wB.fma(FloatVector.fromArray(F, x, x2 + j + 32), a21);
                            a30 = wA.fma(FloatVector.fromArray(F, x, x3 + j), a30);
                            a31 = wB.fma(FloatVector.fromArray(F, x, x3 + j + 32), a31);
                        }
                    }
                }
            }
        }
        a00.add(a01).intoArray(lanes, 0);
        a10.add(a11).intoArray(lanes, L);
        a20.add(a21).intoArray(lanes, 2 * L);
        a30.add(a31).intoArray(lanes, 3 * L);
        out[o] = sum(lanes, 0);
        out[o + stride] = sum(lanes, L);
        out[o + 2 * stride] = sum(lanes, 2 * L);
        out[o + 3 * stride] = sum(lanes, 3 * L);
    }

    /**
     * A Q6_K piece as f32: the nibbles of {@code low} at bit {@code 2 * (topShift / 4)} .. (low
     * nibbles for topShift 0 and 2, high for 4 and 6), bits topShift..topShift+1 of {@code high}
     * on top, minus 32, times dl. One shape for all four pieces: the earlier branch between two
     * vector expressions here left C2 boxing vectors (35 MB per 5632x2048 matVec).
     */
    private static FloatVector q6k(ByteVector low, ByteVector high, int topShift, float dl) {
        ByteVector nibble = low.lanewise(VectorOperators.LSHR, topShift & 4).and((byte) 0x0F);
        ByteVector top = high.lanewise(VectorOperators.LSHR, topShift).and((byte) 3).lanewise(VectorOperators.LSHL, 4);
        ByteVector q = nibble.or(top).sub((byte) 32);
        return ((FloatVector) q.convertShape(VectorOperators.B2F, F, 0)).mul(dl);
    }
}
