package numatp.models.kernels;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import numatp.weights.Dequant;
import numatp.weights.quant.Q41Layout;
import numatp.weights.quant.Q50Layout;
import numatp.weights.quant.Q51Layout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static numatp.models.kernels.MatVec.B;
import static numatp.models.kernels.MatVec.F;
import static numatp.models.kernels.MatVec.I;
import static numatp.models.kernels.MatVec.L;
import static numatp.models.kernels.MatVec.sum;

/**
 * Vector kernels for the 32-element block types with an offset or a fifth bit: Q4_1 (q * d + m),
 * Q5_0 ((q - 16) * d) and Q5_1 (q * d + m), for {@link MatVec} and {@link MatMul}; they need
 * {@link MatVec#QUANT_VECTOR}. Per block and L-lane piece j of the 16 nibble bytes, the low
 * nibbles (elements j..) then the high nibbles (elements 16 + j..) are decoded to exactly the
 * f32 weights {@link Dequant} gives and accumulated by FMA into two accumulators per entry,
 * alternating piece by piece (acc and other swap after each FMA; a block has an even number of
 * pieces), added lane by lane and summed by {@link MatVec#sum} at the end: one chain of
 * dependent FMAs per row held Q5_0 at 7.3-7.5 GB/s of weights, two give 8.4-8.5 (Q4_1 and Q5_1
 * within noise, 5632x2048 on AVX-512 at load 14-15). Q4_1 stays in bytes (32-bit shifts of the
 * reinterpreted piece, a per-byte mask); Q5_0 and Q5_1 widen the nibbles to int lanes, where
 * the fifth bits come from the block's 32-bit word broadcast and shifted right by the lane
 * index. Results differ from {@link ScalarMatVec} only by f32 summation order; the
 * {@code Rows4} forms give each entry bitwise the one-entry result. Allocation-free.
 */
final class SmallBlockKernels {
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LE);
    /** Elements per nibble plane: low nibbles hold elements [0, 16), high nibbles [16, 32) (same in all three types). */
    private static final int HALF = Q41Layout.BLOCK_ELEMENTS / 2;
    private static final int NIBBLES = 0x0F0F0F0F;

    private SmallBlockKernels() {
    }

    static void q41(MemorySegment w, int cols, int rowFrom, int rowTo, float[] x, int xOff, float[] out, int outOff) {
        final int blocks = cols / Q41Layout.BLOCK_ELEMENTS;
        final long rowBytes = (long) Q41Layout.BLOCK_BYTES * blocks;
        for (int r = rowFrom; r < rowTo; r++) {
            out[outOff + r] = q41Row(w, r * rowBytes, blocks, x, xOff);
        }
    }

    /**
     * One Q4_1 row: per block, nibble plane k (low, then high) and piece j, acc += w * x[16k + j].
     * The k loop, not the two planes written out: with both in one body, the four-entry form hit
     * C2's NodeCountInliningCutoff before its lane sums and boxed the accumulators.
     */
    static float q41Row(MemorySegment w, long base, int blocks, float[] x, int xo) {
        FloatVector acc = FloatVector.zero(F);
        FloatVector other = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            final long block = base + (long) Q41Layout.BLOCK_BYTES * b;
            final float d = Float.float16ToFloat(w.get(Dequant.I16, block + Q41Layout.D));
            final float m = Float.float16ToFloat(w.get(Dequant.I16, block + Q41Layout.M));
            final int xb = xo + Q41Layout.BLOCK_ELEMENTS * b;
            for (int k = 0; k < 2; k++) {
                for (int j = 0; j < HALF; j += L) {
                    IntVector q = ByteVector.fromMemorySegment(B, w, block + Q41Layout.QS + j, LE).reinterpretAsInts()
                            .lanewise(VectorOperators.LSHR, 4 * k).and(NIBBLES);
                    FloatVector wv = ((FloatVector) q.reinterpretAsBytes().convertShape(VectorOperators.B2F, F, 0))
                            .mul(d).add(m);
                    final FloatVector next = wv.fma(FloatVector.fromArray(F, x, xb + HALF * k + j), acc);
                    acc = other;
                    other = next;
                }
            }
        }
        return sum(acc.add(other));
    }

    /** Four entries (x at x0..x3) of one Q4_1 row, each in {@link #q41Row}'s order; results into out[o + k * stride]. */
    static void q41Rows4(MemorySegment w, long base, int blocks, float[] x, int x0, int x1, int x2, int x3,
                         float[] lanes, float[] out, int o, int stride) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        FloatVector b0 = FloatVector.zero(F);
        FloatVector b1 = FloatVector.zero(F);
        FloatVector b2 = FloatVector.zero(F);
        FloatVector b3 = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            final long block = base + (long) Q41Layout.BLOCK_BYTES * b;
            final float d = Float.float16ToFloat(w.get(Dequant.I16, block + Q41Layout.D));
            final float m = Float.float16ToFloat(w.get(Dequant.I16, block + Q41Layout.M));
            final int xb = Q41Layout.BLOCK_ELEMENTS * b;
            for (int k = 0; k < 2; k++) {
                for (int j = 0; j < HALF; j += L) {
                    IntVector q = ByteVector.fromMemorySegment(B, w, block + Q41Layout.QS + j, LE).reinterpretAsInts()
                            .lanewise(VectorOperators.LSHR, 4 * k).and(NIBBLES);
                    FloatVector wv = ((FloatVector) q.reinterpretAsBytes().convertShape(VectorOperators.B2F, F, 0))
                            .mul(d).add(m);
                    final int xj = xb + HALF * k + j;
                    final FloatVector n0 = wv.fma(FloatVector.fromArray(F, x, x0 + xj), a0);
                    final FloatVector n1 = wv.fma(FloatVector.fromArray(F, x, x1 + xj), a1);
                    final FloatVector n2 = wv.fma(FloatVector.fromArray(F, x, x2 + xj), a2);
                    final FloatVector n3 = wv.fma(FloatVector.fromArray(F, x, x3 + xj), a3);
                    a0 = b0;
                    a1 = b1;
                    a2 = b2;
                    a3 = b3;
                    b0 = n0;
                    b1 = n1;
                    b2 = n2;
                    b3 = n3;
                }
            }
        }
        a0.add(b0).intoArray(lanes, 0);
        a1.add(b1).intoArray(lanes, L);
        a2.add(b2).intoArray(lanes, 2 * L);
        a3.add(b3).intoArray(lanes, 3 * L);
        out[o] = sum(lanes, 0);
        out[o + stride] = sum(lanes, L);
        out[o + 2 * stride] = sum(lanes, 2 * L);
        out[o + 3 * stride] = sum(lanes, 3 * L);
    }

    static void q50(MemorySegment w, int cols, int rowFrom, int rowTo, float[] x, int xOff, float[] out, int outOff) {
        final int blocks = cols / Q50Layout.BLOCK_ELEMENTS;
        final long rowBytes = (long) Q50Layout.BLOCK_BYTES * blocks;
        for (int r = rowFrom; r < rowTo; r++) {
            out[outOff + r] = q50Row(w, r * rowBytes, blocks, x, xOff);
        }
    }

    /**
     * One Q5_0 row, in {@link #q41Row}'s order. The fifth bit of element e sits in bit e of the
     * block's word qh: broadcast (qh >>> e0) << 4 for a piece starting at element e0 and shift
     * lane i right by i, so bit 4 holds it (the bits lost by the left shift belong to elements
     * at least 28 past e0, never in the piece). The nibbles are widened to int lanes with a
     * sign extension; the mask after the shift keeps only the nibble.
     */
    static float q50Row(MemorySegment w, long base, int blocks, float[] x, int xo) {
        final IntVector lane = IntVector.zero(I).addIndex(1);
        FloatVector acc = FloatVector.zero(F);
        FloatVector other = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            final long block = base + (long) Q50Layout.BLOCK_BYTES * b;
            final float d = Float.float16ToFloat(w.get(Dequant.I16, block + Q50Layout.D));
            final int qh = w.get(I32, block + Q50Layout.QH);
            final int xb = xo + Q50Layout.BLOCK_ELEMENTS * b;
            for (int k = 0; k < 2; k++) {
                for (int j = 0; j < HALF; j += L) {
                    IntVector q = ((IntVector) ByteVector.fromMemorySegment(B, w, block + Q50Layout.QS + j, LE)
                            .convertShape(VectorOperators.B2I, I, 0)).lanewise(VectorOperators.LSHR, 4 * k).and(0x0F)
                            .or(IntVector.broadcast(I, (qh >>> (HALF * k + j)) << 4).lanewise(VectorOperators.LSHR, lane)
                                    .and(0x10));
                    FloatVector wv = ((FloatVector) q.sub(16)
                            .convert(VectorOperators.I2F, 0)).mul(d);
                    final FloatVector next = wv.fma(FloatVector.fromArray(F, x, xb + HALF * k + j), acc);
                    acc = other;
                    other = next;
                }
            }
        }
        return sum(acc.add(other));
    }

    /** Four entries (x at x0..x3) of one Q5_0 row, each in {@link #q50Row}'s order; results into out[o + k * stride]. */
    static void q50Rows4(MemorySegment w, long base, int blocks, float[] x, int x0, int x1, int x2, int x3,
                         float[] lanes, float[] out, int o, int stride) {
        final IntVector lane = IntVector.zero(I).addIndex(1);
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        FloatVector b0 = FloatVector.zero(F);
        FloatVector b1 = FloatVector.zero(F);
        FloatVector b2 = FloatVector.zero(F);
        FloatVector b3 = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            final long block = base + (long) Q50Layout.BLOCK_BYTES * b;
            final float d = Float.float16ToFloat(w.get(Dequant.I16, block + Q50Layout.D));
            final int qh = w.get(I32, block + Q50Layout.QH);
            final int xb = Q50Layout.BLOCK_ELEMENTS * b;
            for (int k = 0; k < 2; k++) {
                for (int j = 0; j < HALF; j += L) {
                    IntVector q = ((IntVector) ByteVector.fromMemorySegment(B, w, block + Q50Layout.QS + j, LE)
                            .convertShape(VectorOperators.B2I, I, 0)).lanewise(VectorOperators.LSHR, 4 * k).and(0x0F)
                            .or(IntVector.broadcast(I, (qh >>> (HALF * k + j)) << 4).lanewise(VectorOperators.LSHR, lane)
                                    .and(0x10));
                    FloatVector wv = ((FloatVector) q.sub(16)
                            .convert(VectorOperators.I2F, 0)).mul(d);
                    final int xj = xb + HALF * k + j;
                    final FloatVector n0 = wv.fma(FloatVector.fromArray(F, x, x0 + xj), a0);
                    final FloatVector n1 = wv.fma(FloatVector.fromArray(F, x, x1 + xj), a1);
                    final FloatVector n2 = wv.fma(FloatVector.fromArray(F, x, x2 + xj), a2);
                    final FloatVector n3 = wv.fma(FloatVector.fromArray(F, x, x3 + xj), a3);
                    a0 = b0;
                    a1 = b1;
                    a2 = b2;
                    a3 = b3;
                    b0 = n0;
                    b1 = n1;
                    b2 = n2;
                    b3 = n3;
                }
            }
        }
        a0.add(b0).intoArray(lanes, 0);
        a1.add(b1).intoArray(lanes, L);
        a2.add(b2).intoArray(lanes, 2 * L);
        a3.add(b3).intoArray(lanes, 3 * L);
        out[o] = sum(lanes, 0);
        out[o + stride] = sum(lanes, L);
        out[o + 2 * stride] = sum(lanes, 2 * L);
        out[o + 3 * stride] = sum(lanes, 3 * L);
    }

    static void q51(MemorySegment w, int cols, int rowFrom, int rowTo, float[] x, int xOff, float[] out, int outOff) {
        final int blocks = cols / Q51Layout.BLOCK_ELEMENTS;
        final long rowBytes = (long) Q51Layout.BLOCK_BYTES * blocks;
        for (int r = rowFrom; r < rowTo; r++) {
            out[outOff + r] = q51Row(w, r * rowBytes, blocks, x, xOff);
        }
    }

    /** One Q5_1 row: {@link #q50Row}'s fifth bits and order, each weight q * d + m. */
    static float q51Row(MemorySegment w, long base, int blocks, float[] x, int xo) {
        final IntVector lane = IntVector.zero(I).addIndex(1);
        FloatVector acc = FloatVector.zero(F);
        FloatVector other = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            final long block = base + (long) Q51Layout.BLOCK_BYTES * b;
            final float d = Float.float16ToFloat(w.get(Dequant.I16, block + Q51Layout.D));
            final float m = Float.float16ToFloat(w.get(Dequant.I16, block + Q51Layout.M));
            final int qh = w.get(I32, block + Q51Layout.QH);
            final int xb = xo + Q51Layout.BLOCK_ELEMENTS * b;
            for (int k = 0; k < 2; k++) {
                for (int j = 0; j < HALF; j += L) {
                    IntVector q = ((IntVector) ByteVector.fromMemorySegment(B, w, block + Q51Layout.QS + j, LE)
                            .convertShape(VectorOperators.B2I, I, 0)).lanewise(VectorOperators.LSHR, 4 * k).and(0x0F)
                            .or(IntVector.broadcast(I, (qh >>> (HALF * k + j)) << 4).lanewise(VectorOperators.LSHR, lane)
                                    .and(0x10));
                    FloatVector wv = ((FloatVector) q
                            .convert(VectorOperators.I2F, 0)).mul(d).add(m);
                    final FloatVector next = wv.fma(FloatVector.fromArray(F, x, xb + HALF * k + j), acc);
                    acc = other;
                    other = next;
                }
            }
        }
        return sum(acc.add(other));
    }

    /** Four entries (x at x0..x3) of one Q5_1 row, each in {@link #q51Row}'s order; results into out[o + k * stride]. */
    static void q51Rows4(MemorySegment w, long base, int blocks, float[] x, int x0, int x1, int x2, int x3,
                         float[] lanes, float[] out, int o, int stride) {
        final IntVector lane = IntVector.zero(I).addIndex(1);
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        FloatVector b0 = FloatVector.zero(F);
        FloatVector b1 = FloatVector.zero(F);
        FloatVector b2 = FloatVector.zero(F);
        FloatVector b3 = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            final long block = base + (long) Q51Layout.BLOCK_BYTES * b;
            final float d = Float.float16ToFloat(w.get(Dequant.I16, block + Q51Layout.D));
            final float m = Float.float16ToFloat(w.get(Dequant.I16, block + Q51Layout.M));
            final int qh = w.get(I32, block + Q51Layout.QH);
            final int xb = Q51Layout.BLOCK_ELEMENTS * b;
            for (int k = 0; k < 2; k++) {
                for (int j = 0; j < HALF; j += L) {
                    IntVector q = ((IntVector) ByteVector.fromMemorySegment(B, w, block + Q51Layout.QS + j, LE)
                            .convertShape(VectorOperators.B2I, I, 0)).lanewise(VectorOperators.LSHR, 4 * k).and(0x0F)
                            .or(IntVector.broadcast(I, (qh >>> (HALF * k + j)) << 4).lanewise(VectorOperators.LSHR, lane)
                                    .and(0x10));
                    FloatVector wv = ((FloatVector) q
                            .convert(VectorOperators.I2F, 0)).mul(d).add(m);
                    final int xj = xb + HALF * k + j;
                    final FloatVector n0 = wv.fma(FloatVector.fromArray(F, x, x0 + xj), a0);
                    final FloatVector n1 = wv.fma(FloatVector.fromArray(F, x, x1 + xj), a1);
                    final FloatVector n2 = wv.fma(FloatVector.fromArray(F, x, x2 + xj), a2);
                    final FloatVector n3 = wv.fma(FloatVector.fromArray(F, x, x3 + xj), a3);
                    a0 = b0;
                    a1 = b1;
                    a2 = b2;
                    a3 = b3;
                    b0 = n0;
                    b1 = n1;
                    b2 = n2;
                    b3 = n3;
                }
            }
        }
        a0.add(b0).intoArray(lanes, 0);
        a1.add(b1).intoArray(lanes, L);
        a2.add(b2).intoArray(lanes, 2 * L);
        a3.add(b3).intoArray(lanes, 3 * L);
        out[o] = sum(lanes, 0);
        out[o + stride] = sum(lanes, L);
        out[o + 2 * stride] = sum(lanes, 2 * L);
        out[o + 3 * stride] = sum(lanes, 3 * L);
    }
}
