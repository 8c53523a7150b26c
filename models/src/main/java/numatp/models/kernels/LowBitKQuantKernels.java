package numatp.models.kernels;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import numatp.weights.Dequant;
import numatp.weights.quant.Q2KLayout;
import numatp.weights.quant.Q3KLayout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static numatp.models.kernels.MatVec.B;
import static numatp.models.kernels.MatVec.F;
import static numatp.models.kernels.MatVec.L;
import static numatp.models.kernels.MatVec.sum;

/**
 * Vector kernels for Q2_K and Q3_K rows (2-bit quants in four shift steps, 16-element
 * sub-blocks), for {@link MatVec} and {@link MatMul}; they need {@link MatVec#QUANT_VECTOR}
 * (L of 8 or 16 divides a sub-block). Per half h, shift step s, sub-block k of the step and
 * L-lane piece l: the bits 2s..2s+1 of the quant bytes (Q3_K: minus 4 unless the element's
 * {@link Q3KLayout#HMASK} bit 4h + s is set), moved with 32-bit shifts of the reinterpreted
 * byte piece and a per-byte mask, decoded to exactly the f32 weights {@link Dequant} gives
 * ((d * scale) * q - (dmin * min) for Q2_K, (d * (scale - 32)) * q for Q3_K) and accumulated
 * by FMA in element order, one accumulator per entry, summed by {@link MatVec#sum}. Results
 * differ from {@link ScalarMatVec} only by f32 summation order; the {@code Rows4} forms give
 * each entry bitwise the one-entry result. Allocation-free.
 */
final class LowBitKQuantKernels {
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** Elements per shift step of a half (one quant byte column each); the same in Q2_K and Q3_K. */
    private static final int STEP = Q2KLayout.HALF_QS_BYTES;
    private static final int STEPS = Q2KLayout.HALF_ELEMENTS / STEP;
    private static final int HALVES = Q2KLayout.BLOCK_ELEMENTS / Q2KLayout.HALF_ELEMENTS;
    /** Sub-blocks per shift step. */
    private static final int SUBS = STEP / Q2KLayout.SUB_ELEMENTS;
    private static final int TWO_BITS = 0x03030303;
    private static final int BIT2 = 0x04040404;

    private LowBitKQuantKernels() {
    }

    static void q2k(MemorySegment w, int cols, int rowFrom, int rowTo, float[] x, int xOff, float[] out, int outOff) {
        final int blocks = cols / Q2KLayout.BLOCK_ELEMENTS;
        final long rowBytes = (long) Q2KLayout.BLOCK_BYTES * blocks;
        for (int r = rowFrom; r < rowTo; r++) {
            out[outOff + r] = q2kRow(w, r * rowBytes, blocks, x, xOff);
        }
    }

    /** One Q2_K row: acc += w * x per L-lane piece in element order; the fixed-tree sum at the end. */
    static float q2kRow(MemorySegment w, long base, int blocks, float[] x, int xo) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            final long block = base + (long) Q2KLayout.BLOCK_BYTES * b;
            final float d = Float.float16ToFloat(w.get(Dequant.I16, block + Q2KLayout.D));
            final float dmin = Float.float16ToFloat(w.get(Dequant.I16, block + Q2KLayout.DMIN));
            for (int h = 0; h < HALVES; h++) {
                for (int s = 0; s < STEPS; s++) {
                    for (int k = 0; k < SUBS; k++) {
                        final int e = Q2KLayout.HALF_ELEMENTS * h + STEP * s + Q2KLayout.SUB_ELEMENTS * k;
                        final int sm = w.get(ValueLayout.JAVA_BYTE, block + Q2KLayout.SCALES + e / Q2KLayout.SUB_ELEMENTS)
                                & 0xFF;
                        final float dl = d * (sm & 0x0F);
                        final float ml = dmin * (sm >>> 4);
                        final long qs = block + Q2KLayout.QS + (long) Q2KLayout.HALF_QS_BYTES * h
                                + (long) Q2KLayout.SUB_ELEMENTS * k;
                        final int xe = xo + Q2KLayout.BLOCK_ELEMENTS * b + e;
                        for (int l = 0; l < Q2KLayout.SUB_ELEMENTS; l += L) {
                            IntVector q = ByteVector.fromMemorySegment(B, w, qs + l, LE).reinterpretAsInts()
                                    .lanewise(VectorOperators.LSHR, 2 * s).and(TWO_BITS);
                            FloatVector wv = ((FloatVector) q.reinterpretAsBytes().convertShape(VectorOperators.B2F, F, 0))
                                    .mul(dl).sub(ml);
                            acc = wv.fma(FloatVector.fromArray(F, x, xe + l), acc);
                        }
                    }
                }
            }
        }
        return sum(acc);
    }

    /** Four entries (x at x0..x3) of one Q2_K row, each in {@link #q2kRow}'s order; results into out[o + k * stride]. */
    static void q2kRows4(MemorySegment w, long base, int blocks, float[] x, int x0, int x1, int x2, int x3,
                         float[] lanes, float[] out, int o, int stride) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            final long block = base + (long) Q2KLayout.BLOCK_BYTES * b;
            final float d = Float.float16ToFloat(w.get(Dequant.I16, block + Q2KLayout.D));
            final float dmin = Float.float16ToFloat(w.get(Dequant.I16, block + Q2KLayout.DMIN));
            for (int h = 0; h < HALVES; h++) {
                for (int s = 0; s < STEPS; s++) {
                    for (int k = 0; k < SUBS; k++) {
                        final int e = Q2KLayout.HALF_ELEMENTS * h + STEP * s + Q2KLayout.SUB_ELEMENTS * k;
                        final int sm = w.get(ValueLayout.JAVA_BYTE, block + Q2KLayout.SCALES + e / Q2KLayout.SUB_ELEMENTS)
                                & 0xFF;
                        final float dl = d * (sm & 0x0F);
                        final float ml = dmin * (sm >>> 4);
                        final long qs = block + Q2KLayout.QS + (long) Q2KLayout.HALF_QS_BYTES * h
                                + (long) Q2KLayout.SUB_ELEMENTS * k;
                        final int xe = Q2KLayout.BLOCK_ELEMENTS * b + e;
                        for (int l = 0; l < Q2KLayout.SUB_ELEMENTS; l += L) {
                            IntVector q = ByteVector.fromMemorySegment(B, w, qs + l, LE).reinterpretAsInts()
                                    .lanewise(VectorOperators.LSHR, 2 * s).and(TWO_BITS);
                            FloatVector wv = ((FloatVector) q.reinterpretAsBytes().convertShape(VectorOperators.B2F, F, 0))
                                    .mul(dl).sub(ml);
                            final int j = xe + l;
                            a0 = wv.fma(FloatVector.fromArray(F, x, x0 + j), a0);
                            a1 = wv.fma(FloatVector.fromArray(F, x, x1 + j), a1);
                            a2 = wv.fma(FloatVector.fromArray(F, x, x2 + j), a2);
                            a3 = wv.fma(FloatVector.fromArray(F, x, x3 + j), a3);
                        }
                    }
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

    static void q3k(MemorySegment w, int cols, int rowFrom, int rowTo, float[] x, int xOff, float[] out, int outOff) {
        final int blocks = cols / Q3KLayout.BLOCK_ELEMENTS;
        final long rowBytes = (long) Q3KLayout.BLOCK_BYTES * blocks;
        for (int r = rowFrom; r < rowTo; r++) {
            out[outOff + r] = q3kRow(w, r * rowBytes, blocks, x, xOff);
        }
    }

    /**
     * One Q3_K row in {@link #q2kRow}'s order; q = (low 2 bits | hmask bit << 2) - 4, the
     * hmask bit of element e being bit e / 32 of hmask byte e % 32.
     */
    static float q3kRow(MemorySegment w, long base, int blocks, float[] x, int xo) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            final long block = base + (long) Q3KLayout.BLOCK_BYTES * b;
            final float d = Float.float16ToFloat(w.get(Dequant.I16, block + Q3KLayout.D));
            final long scalesLow = Q3KLayout.scalesLow(w, block);
            final int scalesHigh = Q3KLayout.scalesHigh(w, block);
            for (int h = 0; h < HALVES; h++) {
                for (int s = 0; s < STEPS; s++) {
                    final int hBit = STEPS * h + s;
                    for (int k = 0; k < SUBS; k++) {
                        final int e = Q3KLayout.HALF_ELEMENTS * h + STEP * s + Q3KLayout.SUB_ELEMENTS * k;
                        final float dl = d * Q3KLayout.scale(scalesLow, scalesHigh, e / Q3KLayout.SUB_ELEMENTS);
                        final long qs = block + Q3KLayout.QS + (long) Q3KLayout.HALF_QS_BYTES * h
                                + (long) Q3KLayout.SUB_ELEMENTS * k;
                        final long hm = block + Q3KLayout.HMASK + (long) Q3KLayout.SUB_ELEMENTS * k;
                        final int xe = xo + Q3KLayout.BLOCK_ELEMENTS * b + e;
                        for (int l = 0; l < Q3KLayout.SUB_ELEMENTS; l += L) {
                            IntVector low = ByteVector.fromMemorySegment(B, w, qs + l, LE).reinterpretAsInts()
                                    .lanewise(VectorOperators.LSHR, 2 * s).and(TWO_BITS);
                            IntVector top = ByteVector.fromMemorySegment(B, w, hm + l, LE).reinterpretAsInts()
                                    .lanewise(VectorOperators.LSHR, hBit).lanewise(VectorOperators.LSHL, 2).and(BIT2);
                            ByteVector q = low.or(top).reinterpretAsBytes().sub((byte) 4);
                            FloatVector wv = ((FloatVector) q.convertShape(VectorOperators.B2F, F, 0)).mul(dl);
                            acc = wv.fma(FloatVector.fromArray(F, x, xe + l), acc);
                        }
                    }
                }
            }
        }
        return sum(acc);
    }

    /** Four entries (x at x0..x3) of one Q3_K row, each in {@link #q3kRow}'s order; results into out[o + k * stride]. */
    static void q3kRows4(MemorySegment w, long base, int blocks, float[] x, int x0, int x1, int x2, int x3,
                         float[] lanes, float[] out, int o, int stride) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            final long block = base + (long) Q3KLayout.BLOCK_BYTES * b;
            final float d = Float.float16ToFloat(w.get(Dequant.I16, block + Q3KLayout.D));
            final long scalesLow = Q3KLayout.scalesLow(w, block);
            final int scalesHigh = Q3KLayout.scalesHigh(w, block);
            for (int h = 0; h < HALVES; h++) {
                for (int s = 0; s < STEPS; s++) {
                    final int hBit = STEPS * h + s;
                    for (int k = 0; k < SUBS; k++) {
                        final int e = Q3KLayout.HALF_ELEMENTS * h + STEP * s + Q3KLayout.SUB_ELEMENTS * k;
                        final float dl = d * Q3KLayout.scale(scalesLow, scalesHigh, e / Q3KLayout.SUB_ELEMENTS);
                        final long qs = block + Q3KLayout.QS + (long) Q3KLayout.HALF_QS_BYTES * h
                                + (long) Q3KLayout.SUB_ELEMENTS * k;
                        final long hm = block + Q3KLayout.HMASK + (long) Q3KLayout.SUB_ELEMENTS * k;
                        final int xe = Q3KLayout.BLOCK_ELEMENTS * b + e;
                        for (int l = 0; l < Q3KLayout.SUB_ELEMENTS; l += L) {
                            IntVector low = ByteVector.fromMemorySegment(B, w, qs + l, LE).reinterpretAsInts()
                                    .lanewise(VectorOperators.LSHR, 2 * s).and(TWO_BITS);
                            IntVector top = ByteVector.fromMemorySegment(B, w, hm + l, LE).reinterpretAsInts()
                                    .lanewise(VectorOperators.LSHR, hBit).lanewise(VectorOperators.LSHL, 2).and(BIT2);
                            ByteVector q = low.or(top).reinterpretAsBytes().sub((byte) 4);
                            FloatVector wv = ((FloatVector) q.convertShape(VectorOperators.B2F, F, 0)).mul(dl);
                            final int j = xe + l;
                            a0 = wv.fma(FloatVector.fromArray(F, x, x0 + j), a0);
                            a1 = wv.fma(FloatVector.fromArray(F, x, x1 + j), a1);
                            a2 = wv.fma(FloatVector.fromArray(F, x, x2 + j), a2);
                            a3 = wv.fma(FloatVector.fromArray(F, x, x3 + j), a3);
                        }
                    }
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
}
