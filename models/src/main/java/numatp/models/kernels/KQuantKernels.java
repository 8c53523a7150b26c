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
 * fusing), then accumulated by FMA into one accumulator per row in a fixed piece order; the
 * lanes are summed by {@link MatVec#sum}. So results differ from {@link ScalarMatVec} only
 * by f32 summation order, and a batch entry's result in {@link #q4kRows4}/{@link #q6kRows4}
 * is bitwise that of {@link #q4kRow}/{@link #q6kRow}. Allocation-free.
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
            for (int c = 0; c < 4; c++) {
                final int smLo = Q4KLayout.scaleMin(w, block, 2 * c);
                final int smHi = Q4KLayout.scaleMin(w, block, 2 * c + 1);
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

    /** Four entries (x at x0..x3) of one Q4_K row, each in {@link #q4kRow}'s order; results into out[o + k * stride]. */
    static void q4kRows4(MemorySegment w, long base, int blocks, float[] x, int x0, int x1, int x2, int x3,
                         float[] out, int o, int stride) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            final long block = base + (long) Q4KLayout.BLOCK_BYTES * b;
            final float d = Float.float16ToFloat(w.get(Dequant.I16, block + Q4KLayout.D));
            final float dmin = Float.float16ToFloat(w.get(Dequant.I16, block + Q4KLayout.DMIN));
            for (int c = 0; c < 4; c++) {
                final int smLo = Q4KLayout.scaleMin(w, block, 2 * c);
                final int smHi = Q4KLayout.scaleMin(w, block, 2 * c + 1);
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
        out[o] = sum(a0);
        out[o + stride] = sum(a1);
        out[o + 2 * stride] = sum(a2);
        out[o + 3 * stride] = sum(a3);
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
     * One Q6_K row: per half h of each super-block and L-lane piece l (0..31), the four
     * elements 128h + 32p + l for p = 0..3 (low/high nibbles of ql[l] and ql[32 + l], top bits
     * from qh[l]) are accumulated in order p = 0, 1, 2, 3, each weight (d * scale) * (q - 32).
     */
    static float q6kRow(MemorySegment w, long base, int blocks, float[] x, int xo) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            final long block = base + (long) Q6KLayout.BLOCK_BYTES * b;
            final float d = Float.float16ToFloat(w.get(Dequant.I16, block + Q6KLayout.D));
            for (int h = 0; h < 2; h++) {
                final long ql = block + Q6KLayout.QL + 64L * h;
                final long qh = block + Q6KLayout.QH + 32L * h;
                final long sc = block + Q6KLayout.SCALES + 8L * h;
                final int xh = xo + Q6KLayout.BLOCK_ELEMENTS * b + 128 * h;
                for (int l = 0; l < 32; l += L) {
                    ByteVector lowA = ByteVector.fromMemorySegment(B, w, ql + l, LE);
                    ByteVector lowB = ByteVector.fromMemorySegment(B, w, ql + 32 + l, LE);
                    ByteVector high = ByteVector.fromMemorySegment(B, w, qh + l, LE);
                    final long s = sc + l / 16;
                    acc = q6k(lowA, high, 0, d, w, s).fma(FloatVector.fromArray(F, x, xh + l), acc);
                    acc = q6k(lowB, high, 1, d, w, s + 2).fma(FloatVector.fromArray(F, x, xh + 32 + l), acc);
                    acc = q6k(lowA, high, 2, d, w, s + 4).fma(FloatVector.fromArray(F, x, xh + 64 + l), acc);
                    acc = q6k(lowB, high, 3, d, w, s + 6).fma(FloatVector.fromArray(F, x, xh + 96 + l), acc);
                }
            }
        }
        return sum(acc);
    }

    /** Four entries (x at x0..x3) of one Q6_K row, each in {@link #q6kRow}'s order; results into out[o + k * stride]. */
    static void q6kRows4(MemorySegment w, long base, int blocks, float[] x, int x0, int x1, int x2, int x3,
                         float[] out, int o, int stride) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            final long block = base + (long) Q6KLayout.BLOCK_BYTES * b;
            final float d = Float.float16ToFloat(w.get(Dequant.I16, block + Q6KLayout.D));
            for (int h = 0; h < 2; h++) {
                final long ql = block + Q6KLayout.QL + 64L * h;
                final long qh = block + Q6KLayout.QH + 32L * h;
                final long sc = block + Q6KLayout.SCALES + 8L * h;
                final int xh = Q6KLayout.BLOCK_ELEMENTS * b + 128 * h;
                for (int l = 0; l < 32; l += L) {
                    ByteVector lowA = ByteVector.fromMemorySegment(B, w, ql + l, LE);
                    ByteVector lowB = ByteVector.fromMemorySegment(B, w, ql + 32 + l, LE);
                    ByteVector high = ByteVector.fromMemorySegment(B, w, qh + l, LE);
                    final long s = sc + l / 16;
                    for (int p = 0; p < 4; p++) {
                        FloatVector wv = q6k(p % 2 == 0 ? lowA : lowB, high, p, d, w, s + 2 * p);
                        final int j = xh + 32 * p + l;
                        a0 = wv.fma(FloatVector.fromArray(F, x, x0 + j), a0);
                        a1 = wv.fma(FloatVector.fromArray(F, x, x1 + j), a1);
                        a2 = wv.fma(FloatVector.fromArray(F, x, x2 + j), a2);
                        a3 = wv.fma(FloatVector.fromArray(F, x, x3 + j), a3);
                    }
                }
            }
        }
        out[o] = sum(a0);
        out[o + stride] = sum(a1);
        out[o + 2 * stride] = sum(a2);
        out[o + 3 * stride] = sum(a3);
    }

    /**
     * Piece p (0..3) of a Q6_K half as f32: the low (p &lt; 2) or high nibbles of {@code low},
     * bits 2p..2p+1 of {@code high} on top, minus 32, times d * (the signed scale at {@code scaleAt}).
     */
    private static FloatVector q6k(ByteVector low, ByteVector high, int p, float d, MemorySegment w, long scaleAt) {
        ByteVector nibble = p < 2 ? low.and((byte) 0x0F) : low.lanewise(VectorOperators.LSHR, 4).and((byte) 0x0F);
        ByteVector top = high.lanewise(VectorOperators.LSHR, 2 * p).and((byte) 3).lanewise(VectorOperators.LSHL, 4);
        ByteVector q = nibble.or(top).sub((byte) 32);
        float dl = d * w.get(ValueLayout.JAVA_BYTE, scaleAt);
        return ((FloatVector) q.convertShape(VectorOperators.B2F, F, 0)).mul(dl);
    }
}
