package numatp.models.kernels;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import numatp.weights.Dequant;
import numatp.weights.quant.Q5KLayout;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import static numatp.models.kernels.MatVec.B;
import static numatp.models.kernels.MatVec.F;
import static numatp.models.kernels.MatVec.L;
import static numatp.models.kernels.MatVec.sum;

/**
 * Vector kernels for Q5_K rows (the Q5_K_M mix), for {@link MatVec} and {@link MatMul}; they need
 * {@link MatVec#QUANT_VECTOR}. Laid out as Q4_K plus a 32-byte plane of fifth bits, so the loop
 * is the one the Q4_K kernel had before it was factored: per 64-element chunk c, sub-block 2c on the low nibbles and
 * 2c + 1 on the high nibbles of the same 32 bytes, their fifth bits in bits 2c and 2c + 1 of the
 * {@link Q5KLayout#QH} bytes. Bits move with 32-bit shifts of the reinterpreted byte pieces
 * and a per-byte mask (x86 has no byte shift; the nibble and the bit stay inside their byte).
 * Each weight is (d * scale) * q - (dmin * min) with the roundings {@link Dequant} makes, so
 * results differ from {@link ScalarMatVec} only by f32 summation order, and {@link #q5kRows4}
 * gives each entry bitwise {@link #q5kRow}'s result. Decode is written out in the loop bodies,
 * not in helpers: past about three vector helper calls per iteration C2 stops inlining and boxes.
 * Allocation-free.
 */
final class Q5KKernels {
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** Elements per chunk: two sub-blocks sharing one 32-byte run of nibbles (low, then high). */
    private static final int CHUNK = 2 * Q5KLayout.SUB_ELEMENTS;
    private static final int CHUNKS = Q5KLayout.BLOCK_ELEMENTS / CHUNK;
    private static final int NIBBLES = 0x0F0F0F0F;
    private static final int BIT4 = 0x10101010;

    private Q5KKernels() {
    }

    static void q5k(MemorySegment w, int cols, int rowFrom, int rowTo, float[] x, int xOff, float[] out, int outOff) {
        final int blocks = cols / Q5KLayout.BLOCK_ELEMENTS;
        final long rowBytes = (long) Q5KLayout.BLOCK_BYTES * blocks;
        for (int r = rowFrom; r < rowTo; r++) {
            out[outOff + r] = q5kRow(w, r * rowBytes, blocks, x, xOff);
        }
    }

    /**
     * One Q5_K row: per chunk c of each super-block, sub-block k of the chunk (low nibbles, then
     * high) and L-lane piece l: acc += w * x[64c + 32k + l]; the fixed-tree sum at the end. The
     * k loop, not two written-out decodes: with both in one body C2 stopped inlining before
     * {@link MatVec#sum} and boxed the accumulator once per row (96 B per row, -prof gc).
     */
    static float q5kRow(MemorySegment w, long base, int blocks, float[] x, int xo) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            final long block = base + (long) Q5KLayout.BLOCK_BYTES * b;
            final float d = Float.float16ToFloat(w.get(Dequant.I16, block + Q5KLayout.D));
            final float dmin = Float.float16ToFloat(w.get(Dequant.I16, block + Q5KLayout.DMIN));
            final long scalesLow = Q5KLayout.scalesLow(w, block);
            final int scalesHigh = Q5KLayout.scalesHigh(w, block);
            for (int c = 0; c < CHUNKS; c++) {
                final long qs = block + Q5KLayout.QS + (long) Q5KLayout.SUB_ELEMENTS * c;
                final long qh = block + Q5KLayout.QH;
                for (int k = 0; k < 2; k++) {
                    final int sm = Q5KLayout.scaleMin(scalesLow, scalesHigh, 2 * c + k);
                    final float dl = d * (sm & 0xFF);
                    final float ml = dmin * (sm >>> 8);
                    final int xk = xo + Q5KLayout.BLOCK_ELEMENTS * b + CHUNK * c + Q5KLayout.SUB_ELEMENTS * k;
                    for (int l = 0; l < Q5KLayout.SUB_ELEMENTS; l += L) {
                        IntVector nibbles = ByteVector.fromMemorySegment(B, w, qs + l, LE).reinterpretAsInts()
                                .lanewise(VectorOperators.LSHR, 4 * k).and(NIBBLES);
                        IntVector fifth = ByteVector.fromMemorySegment(B, w, qh + l, LE).reinterpretAsInts()
                                .lanewise(VectorOperators.LSHR, 2 * c + k).lanewise(VectorOperators.LSHL, 4).and(BIT4);
                        FloatVector wv = ((FloatVector) nibbles.or(fifth).reinterpretAsBytes()
                                .convertShape(VectorOperators.B2F, F, 0)).mul(dl).sub(ml);
                        acc = wv.fma(FloatVector.fromArray(F, x, xk + l), acc);
                    }
                }
            }
        }
        return sum(acc);
    }

    /** Four entries (x at x0..x3) of one Q5_K row, each in {@link #q5kRow}'s order; results into out[o + k * stride]. */
    static void q5kRows4(MemorySegment w, long base, int blocks, float[] x, int x0, int x1, int x2, int x3,
                         float[] lanes, float[] out, int o, int stride) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            final long block = base + (long) Q5KLayout.BLOCK_BYTES * b;
            final float d = Float.float16ToFloat(w.get(Dequant.I16, block + Q5KLayout.D));
            final float dmin = Float.float16ToFloat(w.get(Dequant.I16, block + Q5KLayout.DMIN));
            final long scalesLow = Q5KLayout.scalesLow(w, block);
            final int scalesHigh = Q5KLayout.scalesHigh(w, block);
            for (int c = 0; c < CHUNKS; c++) {
                final long qs = block + Q5KLayout.QS + (long) Q5KLayout.SUB_ELEMENTS * c;
                final long qh = block + Q5KLayout.QH;
                for (int k = 0; k < 2; k++) {
                    final int sm = Q5KLayout.scaleMin(scalesLow, scalesHigh, 2 * c + k);
                    final float dl = d * (sm & 0xFF);
                    final float ml = dmin * (sm >>> 8);
                    final int xk = Q5KLayout.BLOCK_ELEMENTS * b + CHUNK * c + Q5KLayout.SUB_ELEMENTS * k;
                    for (int l = 0; l < Q5KLayout.SUB_ELEMENTS; l += L) {
                        IntVector nibbles = ByteVector.fromMemorySegment(B, w, qs + l, LE).reinterpretAsInts()
                                .lanewise(VectorOperators.LSHR, 4 * k).and(NIBBLES);
                        IntVector fifth = ByteVector.fromMemorySegment(B, w, qh + l, LE).reinterpretAsInts()
                                .lanewise(VectorOperators.LSHR, 2 * c + k).lanewise(VectorOperators.LSHL, 4).and(BIT4);
                        FloatVector wv = ((FloatVector) nibbles.or(fifth).reinterpretAsBytes()
                                .convertShape(VectorOperators.B2F, F, 0)).mul(dl).sub(ml);
                        final int j = xk + l;
                        a0 = wv.fma(FloatVector.fromArray(F, x, x0 + j), a0);
                        a1 = wv.fma(FloatVector.fromArray(F, x, x1 + j), a1);
                        a2 = wv.fma(FloatVector.fromArray(F, x, x2 + j), a2);
                        a3 = wv.fma(FloatVector.fromArray(F, x, x3 + j), a3);
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
