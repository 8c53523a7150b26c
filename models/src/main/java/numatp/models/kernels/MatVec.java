package numatp.models.kernels;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;
import numatp.weights.Dequant;
import numatp.weights.Tensor;
import numatp.weights.TensorType;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * Matrix-vector products on the Vector API over weights in a {@link MemorySegment}:
 * out[outOff + r] = sum_c w[r, c] * x[xOff + c] for rows [rowFrom, rowTo). Q4_K and Q6_K
 * run in {@link KQuantKernels}, Q5_K in {@link Q5KKernels}, Q2_K and Q3_K in
 * {@link LowBitKQuantKernels}, Q4_1/Q5_0/Q5_1 in {@link SmallBlockKernels}; where the
 * species is too narrow for them ({@link #QUANT_VECTOR} false) those six fall back to
 * {@link DequantisingKernels}. Each type has a {@link ScalarMatVec} twin; results differ from it only by f32 summation order
 * (lanes accumulate separately, then reduce). Allocation-free.
 */
public final class MatVec {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Lane count of {@link #F}; quantised paths need at least 8 (one 64-bit byte vector). */
    static final int L = F.length();
    static final VectorSpecies<Byte> B = L >= 8 ? VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8)) : null;
    static final VectorSpecies<Short> S = L >= 4 ? VectorSpecies.of(short.class, VectorShape.forBitSize(L * 16)) : null;
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    /**
     * Rows computed together by the matrix-vector kernels, a quarter of the row range apart:
     * independent FMA chains sharing each x load, and four memory streams.
     */
    static final int ROWS = 4;
    static final boolean QUANT_VECTOR = L == 8 || L == 16;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private MatVec() {
    }

    public static void matVec(Tensor w, float[] x, int xOff, float[] out, int outOff) {
        matVec(w, 0, w.rows(), x, xOff, out, outOff);
    }

    public static void matVec(Tensor w, int rowFrom, int rowTo, float[] x, int xOff, float[] out, int outOff) {
        switch (w.type()) {
            case F32 -> f32(w.data(), w.cols(), rowFrom, rowTo, x, xOff, out, outOff);
            case F16 -> f16(w.data(), w.cols(), rowFrom, rowTo, x, xOff, out, outOff);
            case Q8_0 -> {
                if (QUANT_VECTOR) {
                    q8(w.data(), w.cols(), rowFrom, rowTo, x, xOff, out, outOff);
                } else {
                    ScalarMatVec.matVec(w, rowFrom, rowTo, x, xOff, out, outOff);
                }
            }
            case Q4_0 -> {
                if (QUANT_VECTOR) {
                    q4(w.data(), w.cols(), rowFrom, rowTo, x, xOff, out, outOff);
                } else {
                    ScalarMatVec.matVec(w, rowFrom, rowTo, x, xOff, out, outOff);
                }
            }
            case BF16 -> bf16(w.data(), w.cols(), rowFrom, rowTo, x, xOff, out, outOff);
            case Q4_K -> {
                if (QUANT_VECTOR) {
                    KQuantKernels.q4k(w.data(), w.cols(), rowFrom, rowTo, x, xOff, out, outOff);
                } else {
                    ScalarMatVec.matVec(w, rowFrom, rowTo, x, xOff, out, outOff);
                }
            }
            case Q6_K -> {
                if (QUANT_VECTOR) {
                    KQuantKernels.q6k(w.data(), w.cols(), rowFrom, rowTo, x, xOff, out, outOff);
                } else {
                    ScalarMatVec.matVec(w, rowFrom, rowTo, x, xOff, out, outOff);
                }
            }
            case Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q5_K -> {
                if (QUANT_VECTOR) {
                    vectorBlocks(w, rowFrom, rowTo, x, xOff, out, outOff);
                } else {
                    DequantisingKernels.matVec(w, rowFrom, rowTo, x, xOff, out, outOff);
                }
            }
        }
    }

    /** The block types with kernels of their own class, one row at a time (see {@link #f16}). */
    private static void vectorBlocks(Tensor w, int rowFrom, int rowTo, float[] x, int xOff, float[] out, int outOff) {
        final MemorySegment seg = w.data();
        final int cols = w.cols();
        switch (w.type()) {
            case Q4_1 -> SmallBlockKernels.q41(seg, cols, rowFrom, rowTo, x, xOff, out, outOff);
            case Q5_0 -> SmallBlockKernels.q50(seg, cols, rowFrom, rowTo, x, xOff, out, outOff);
            case Q5_1 -> SmallBlockKernels.q51(seg, cols, rowFrom, rowTo, x, xOff, out, outOff);
            case Q2_K -> LowBitKQuantKernels.q2k(seg, cols, rowFrom, rowTo, x, xOff, out, outOff);
            case Q3_K -> LowBitKQuantKernels.q3k(seg, cols, rowFrom, rowTo, x, xOff, out, outOff);
            case Q5_K -> Q5KKernels.q5k(seg, cols, rowFrom, rowTo, x, xOff, out, outOff);
            default -> throw new IllegalArgumentException("no block kernel for " + w.type() + " (" + w.name() + ")");
        }
    }

    static void f32(MemorySegment w, int cols, int rowFrom, int rowTo, float[] x, int xOff, float[] out, int outOff) {
        final long rowBytes = 4L * cols;
        final int quarter = (rowTo - rowFrom) / ROWS;
        final long apartBytes = quarter * rowBytes;
        int r = rowFrom;
        for (; r < rowFrom + quarter; r++) {
            f32Rows4(w, r * rowBytes, apartBytes, cols, x, xOff, out, outOff + r, quarter);
        }
        for (r = rowFrom + ROWS * quarter; r < rowTo; r++) {
            out[outOff + r] = f32Row(w, r * rowBytes, cols, x, xOff);
        }
    }

    /**
     * Four F32 rows {@code apartBytes} apart from byte {@code base}, each exactly as
     * {@link #f32Row}: four independent FMA chains and four memory streams, whose outputs go to
     * out[o + i * outApart]. The quantised row kernels' drivers ({@link #q8}) say why far apart.
     */
    static void f32Rows4(MemorySegment w, long base, long apartBytes, int cols, float[] x, int xo, float[] out, int o,
                         int outApart) {
        final int bound = F.loopBound(cols);
        final long b0 = base;
        final long b1 = b0 + apartBytes;
        final long b2 = b1 + apartBytes;
        final long b3 = b2 + apartBytes;
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        int c = 0;
        for (; c < bound; c += L) {
            FloatVector xv = FloatVector.fromArray(F, x, xo + c);
            a0 = FloatVector.fromMemorySegment(F, w, b0 + 4L * c, LE).fma(xv, a0);
            a1 = FloatVector.fromMemorySegment(F, w, b1 + 4L * c, LE).fma(xv, a1);
            a2 = FloatVector.fromMemorySegment(F, w, b2 + 4L * c, LE).fma(xv, a2);
            a3 = FloatVector.fromMemorySegment(F, w, b3 + 4L * c, LE).fma(xv, a3);
        }
        float s0 = sum(a0);
        float s1 = sum(a1);
        float s2 = sum(a2);
        float s3 = sum(a3);
        for (; c < cols; c++) {
            float xc = x[xo + c];
            s0 += w.get(Dequant.F32, b0 + 4L * c) * xc;
            s1 += w.get(Dequant.F32, b1 + 4L * c) * xc;
            s2 += w.get(Dequant.F32, b2 + 4L * c) * xc;
            s3 += w.get(Dequant.F32, b3 + 4L * c) * xc;
        }
        out[o] = s0;
        out[o + outApart] = s1;
        out[o + 2 * outApart] = s2;
        out[o + 3 * outApart] = s3;
    }

    /** One F32 row at byte {@code base} times x[xo, xo + cols): lanes by FMA, the fixed-tree sum, then the tail. */
    static float f32Row(MemorySegment w, long base, int cols, float[] x, int xo) {
        final int bound = F.loopBound(cols);
        FloatVector acc = FloatVector.zero(F);
        int c = 0;
        for (; c < bound; c += L) {
            FloatVector wv = FloatVector.fromMemorySegment(F, w, base + 4L * c, LE);
            acc = wv.fma(FloatVector.fromArray(F, x, xo + c), acc);
        }
        float sum = sum(acc);
        for (; c < cols; c++) {
            sum += w.get(Dequant.F32, base + 4L * c) * x[xo + c];
        }
        return sum;
    }

    /**
     * Two rows half the range apart at a time ({@link #f16Rows2}): four rows of F16's longer
     * widening ({@link #halfToFloat}) went past C2's NodeCountInliningCutoff, and the boxed
     * pieces ran at 0.6-1.9 GB/s against 29 one row at a time.
     */
    static void f16(MemorySegment w, int cols, int rowFrom, int rowTo, float[] x, int xOff, float[] out, int outOff) {
        final long rowBytes = 2L * cols;
        final int half = (rowTo - rowFrom) / 2;
        final float[] lanes = MatMul.lanes();
        int r = rowFrom;
        for (; r < rowFrom + half; r++) {
            f16Rows2(w, r * rowBytes, half * rowBytes, cols, x, xOff, lanes, out, outOff + r, half);
        }
        for (r = rowFrom + 2 * half; r < rowTo; r++) {
            out[outOff + r] = halfRow(false, w, r * rowBytes, cols, x, xOff);
        }
    }

    /**
     * Four rows a quarter of the range apart at a time (see {@link #q8}). An earlier four-row
     * form over four consecutive rows ran 2-6x slower than one row at a time for the decoding
     * kernels; the consecutive rows, not the registers, were what hurt.
     */
    static void bf16(MemorySegment w, int cols, int rowFrom, int rowTo, float[] x, int xOff, float[] out, int outOff) {
        final long rowBytes = 2L * cols;
        final int quarter = (rowTo - rowFrom) / ROWS;
        final float[] lanes = MatMul.lanes();
        int r = rowFrom;
        for (; r < rowFrom + quarter; r++) {
            bf16Rows4(w, r * rowBytes, quarter * rowBytes, cols, x, xOff, lanes, out, outOff + r, quarter);
        }
        for (r = rowFrom + ROWS * quarter; r < rowTo; r++) {
            out[outOff + r] = halfRow(true, w, r * rowBytes, cols, x, xOff);
        }
    }

    /** Four BF16 rows {@code apartBytes} apart, each exactly as {@link #halfRow} (see {@link #f32Rows4}). */
    static void bf16Rows4(MemorySegment w, long base, long apartBytes, int cols, float[] x, int xo,
                          float[] lanes, float[] out, int o, int outApart) {
        final int bound = F.loopBound(cols);
        final long b0 = base;
        final long b1 = b0 + apartBytes;
        final long b2 = b1 + apartBytes;
        final long b3 = b2 + apartBytes;
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        int c = 0;
        for (; c < bound; c += L) {
            final long cb = 2L * c;
            FloatVector xv = FloatVector.fromArray(F, x, xo + c);
            a0 = bf16ToFloat(ShortVector.fromMemorySegment(S, w, b0 + cb, LE)).fma(xv, a0);
            a1 = bf16ToFloat(ShortVector.fromMemorySegment(S, w, b1 + cb, LE)).fma(xv, a1);
            a2 = bf16ToFloat(ShortVector.fromMemorySegment(S, w, b2 + cb, LE)).fma(xv, a2);
            a3 = bf16ToFloat(ShortVector.fromMemorySegment(S, w, b3 + cb, LE)).fma(xv, a3);
        }
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, L);
        a2.intoArray(lanes, 2 * L);
        a3.intoArray(lanes, 3 * L);
        for (int i = 0; i < ROWS; i++) {
            final long rb = base + i * apartBytes;
            float sum = sum(lanes, i * L);
            for (int k = c; k < cols; k++) {
                short bits = w.get(Dequant.I16, rb + 2L * k);
                sum += Float.intBitsToFloat((bits & 0xFFFF) << 16) * x[xo + k];
            }
            out[o + i * outApart] = sum;
        }
    }

    /** Two F16 rows {@code apartBytes} apart, each exactly as {@link #halfRow}: two chains, two memory streams. */
    static void f16Rows2(MemorySegment w, long base, long apartBytes, int cols, float[] x, int xo, float[] lanes,
                         float[] out, int o, int outApart) {
        final int bound = F.loopBound(cols);
        final long b1 = base + apartBytes;
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        int c = 0;
        for (; c < bound; c += L) {
            final long cb = 2L * c;
            FloatVector xv = FloatVector.fromArray(F, x, xo + c);
            a0 = halfToFloat(ShortVector.fromMemorySegment(S, w, base + cb, LE)).fma(xv, a0);
            a1 = halfToFloat(ShortVector.fromMemorySegment(S, w, b1 + cb, LE)).fma(xv, a1);
        }
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, L);
        for (int i = 0; i < 2; i++) {
            final long rb = base + i * apartBytes;
            float sum = sum(lanes, i * L);
            for (int k = c; k < cols; k++) {
                sum += Float.float16ToFloat(w.get(Dequant.I16, rb + 2L * k)) * x[xo + k];
            }
            out[o + i * outApart] = sum;
        }
    }

    /**
     * One F16 ({@code brainFloat} false) or BF16 row, in the order of {@link #f32Row}: F16 is
     * widened and rescaled by 2^112, BF16 widened by a 16-bit shift (exact).
     */
    static float halfRow(boolean brainFloat, MemorySegment w, long base, int cols, float[] x, int xo) {
        final int bound = F.loopBound(cols);
        FloatVector acc = FloatVector.zero(F);
        int c = 0;
        for (; c < bound; c += L) {
            ShortVector h = ShortVector.fromMemorySegment(S, w, base + 2L * c, LE);
            acc = (brainFloat ? bf16ToFloat(h) : halfToFloat(h)).fma(FloatVector.fromArray(F, x, xo + c), acc);
        }
        float sum = sum(acc);
        for (; c < cols; c++) {
            short bits = w.get(Dequant.I16, base + 2L * c);
            sum += (brainFloat ? Float.intBitsToFloat((bits & 0xFFFF) << 16) : Float.float16ToFloat(bits)) * x[xo + c];
        }
        return sum;
    }

    static FloatVector bf16ToFloat(ShortVector h) {
        return ((IntVector) h.convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16)
                .reinterpretAsFloats();
    }

    private static final VectorShuffle<Float> HALF = VectorShuffle.iota(F, L / 2, 1, true);
    private static final VectorShuffle<Float> QUARTER = L >= 4 ? VectorShuffle.iota(F, L / 4, 1, true) : null;
    private static final VectorShuffle<Float> EIGHTH = L >= 8 ? VectorShuffle.iota(F, L / 8, 1, true) : null;
    private static final VectorShuffle<Float> SIXTEENTH = L >= 16 ? VectorShuffle.iota(F, L / 16, 1, true) : null;

    /**
     * Sum of the lanes in one fixed tree order (lane i with lane i + L/2, then with i + L/4, ...).
     * Not {@code reduceLanes(ADD)}: its order is unspecified and differs between the
     * interpreter and compiled code, so results would change as the JIT warms up.
     */
    static float sum(FloatVector v) {
        if (L >= 2) {
            v = v.add(v.rearrange(HALF));
        }
        if (L >= 4) {
            v = v.add(v.rearrange(QUARTER));
        }
        if (L >= 8) {
            v = v.add(v.rearrange(EIGHTH));
        }
        if (L >= 16) {
            v = v.add(v.rearrange(SIXTEENTH));
        }
        return v.lane(0);
    }

    /**
     * {@link #sum(FloatVector)} of the L lanes stored at v[off, off + L), in scalar code with the
     * same tree (so bitwise the same value): the four-entry kernels store their accumulators and
     * sum them here, because four vector sums at the end of a large loop body are where C2's
     * NodeCountInliningCutoff struck, leaving a call that boxed the accumulators per row.
     * 16 and 8 lanes are written out in registers (the loops cost 11 % of a Q4_K_M decode
     * token, two sums per row); other widths overwrite v[off, off + L / 2).
     */
    static float sum(float[] v, int off) {
        if (L == 16) {
            final float a0 = v[off] + v[off + 8];
            final float a1 = v[off + 1] + v[off + 9];
            final float a2 = v[off + 2] + v[off + 10];
            final float a3 = v[off + 3] + v[off + 11];
            final float a4 = v[off + 4] + v[off + 12];
            final float a5 = v[off + 5] + v[off + 13];
            final float a6 = v[off + 6] + v[off + 14];
            final float a7 = v[off + 7] + v[off + 15];
            return ((a0 + a4) + (a2 + a6)) + ((a1 + a5) + (a3 + a7));
        }
        if (L == 8) {
            final float a0 = v[off] + v[off + 4];
            final float a1 = v[off + 1] + v[off + 5];
            final float a2 = v[off + 2] + v[off + 6];
            final float a3 = v[off + 3] + v[off + 7];
            return (a0 + a2) + (a1 + a3);
        }
        for (int half = L / 2; half >= 1; half /= 2) {
            for (int i = 0; i < half; i++) {
                v[off + i] += v[off + i + half];
            }
        }
        return v[off];
    }

    /**
     * IEEE half to float for finite values (normal and subnormal): place exponent and
     * mantissa in float position and rescale by 2^112. Inf and NaN are not expected in weights.
     */
    static FloatVector halfToFloat(ShortVector h) {
        IntVector i = (IntVector) h.convertShape(VectorOperators.S2I, I, 0);
        IntVector sign = i.and(0x8000).lanewise(VectorOperators.LSHL, 16);
        IntVector mag = i.and(0x7FFF).lanewise(VectorOperators.LSHL, 13);
        FloatVector f = mag.reinterpretAsFloats().mul(0x1p112f);
        return f.reinterpretAsInts().or(sign).reinterpretAsFloats();
    }

    /**
     * Four rows a quarter of the range apart at a time, each exactly as {@link #q8Row}: four
     * memory streams. One row after another is one stream, which a core reading from DRAM
     * could not keep full while it also decodes (a copy of this loop over 435 MB: 10.9-13.6
     * GB/s one row at a time, 20.9 with two streams, against 15.8-22 GB/s from cache); four
     * consecutive rows were slower still (7.8 GB/s): the hardware prefetcher reads them as
     * one stream jumping about.
     */
    static void q8(MemorySegment w, int cols, int rowFrom, int rowTo, float[] x, int xOff, float[] out, int outOff) {
        final int blocks = cols / 32;
        final long rowBytes = 34L * blocks;
        final int quarter = (rowTo - rowFrom) / ROWS;
        final float[] lanes = MatMul.lanes();
        int r = rowFrom;
        for (; r < rowFrom + quarter; r++) {
            q8Rows4(w, r * rowBytes, quarter * rowBytes, blocks, x, xOff, lanes, out, outOff + r, quarter);
        }
        for (r = rowFrom + ROWS * quarter; r < rowTo; r++) {
            out[outOff + r] = q8Row(w, r * rowBytes, blocks, x, xOff);
        }
    }

    /** Four Q8_0 rows {@code apartBytes} apart, each exactly as {@link #q8Row}, outputs {@code outApart} apart. */
    static void q8Rows4(MemorySegment w, long base, long apartBytes, int blocks, float[] x, int xo, float[] lanes,
                        float[] out, int o, int outApart) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            final long k0 = base + 34L * b;
            final long k1 = k0 + apartBytes;
            final long k2 = k1 + apartBytes;
            final long k3 = k2 + apartBytes;
            final int xb = xo + 32 * b;
            final FloatVector d0 = FloatVector.broadcast(F, Float.float16ToFloat(w.get(Dequant.I16, k0)));
            final FloatVector d1 = FloatVector.broadcast(F, Float.float16ToFloat(w.get(Dequant.I16, k1)));
            final FloatVector d2 = FloatVector.broadcast(F, Float.float16ToFloat(w.get(Dequant.I16, k2)));
            final FloatVector d3 = FloatVector.broadcast(F, Float.float16ToFloat(w.get(Dequant.I16, k3)));
            for (int j = 0; j < 32; j += L) {
                FloatVector xv = FloatVector.fromArray(F, x, xb + j);
                a0 = bytesToFloats(w, k0 + 2 + j).mul(d0).fma(xv, a0);
                a1 = bytesToFloats(w, k1 + 2 + j).mul(d1).fma(xv, a1);
                a2 = bytesToFloats(w, k2 + 2 + j).mul(d2).fma(xv, a2);
                a3 = bytesToFloats(w, k3 + 2 + j).mul(d3).fma(xv, a3);
            }
        }
        storeSums4(a0, a1, a2, a3, lanes, out, o, outApart);
    }

    private static FloatVector bytesToFloats(MemorySegment w, long at) {
        return (FloatVector) ByteVector.fromMemorySegment(B, w, at, LE).convertShape(VectorOperators.B2F, F, 0);
    }

    /** out[o + i * outApart] = the fixed-tree sum of accumulator i, through {@code lanes} (see {@link #sum(float[], int)}). */
    private static void storeSums4(FloatVector a0, FloatVector a1, FloatVector a2, FloatVector a3, float[] lanes,
                                   float[] out, int o, int outApart) {
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, L);
        a2.intoArray(lanes, 2 * L);
        a3.intoArray(lanes, 3 * L);
        out[o] = sum(lanes, 0);
        out[o + outApart] = sum(lanes, L);
        out[o + 2 * outApart] = sum(lanes, 2 * L);
        out[o + 3 * outApart] = sum(lanes, 3 * L);
    }

    /**
     * One Q8_0 row as {@link #f32Row} over its dequantised weights: each L-lane piece of the
     * block's quants becomes floats times the block's scale (an exact f32 product, the value
     * {@link #dequantise} writes), then acc = w * x + acc in column order; the fixed-tree sum at
     * the end. So a batch that dequantises a block of rows once and runs the F32 kernels over
     * it ({@link MatMul}) gets bitwise this row's result.
     */
    static float q8Row(MemorySegment w, long base, int blocks, float[] x, int xo) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            final long block = base + 34L * b;
            final int xb = xo + 32 * b;
            final FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat(w.get(Dequant.I16, block)));
            for (int j = 0; j < 32; j += L) {
                acc = bytesToFloats(w, block + 2 + j).mul(d).fma(FloatVector.fromArray(F, x, xb + j), acc);
            }
        }
        return sum(acc);
    }

    /** One row at a time: see {@link #q4Row}. */
    static void q4(MemorySegment w, int cols, int rowFrom, int rowTo, float[] x, int xOff, float[] out, int outOff) {
        final int blocks = cols / 32;
        final long rowBytes = 18L * blocks;
        for (int r = rowFrom; r < rowTo; r++) {
            out[outOff + r] = q4Row(w, r * rowBytes, blocks, x, xOff);
        }
    }



    /**
     * One Q4_0 row: per 32-block and L-lane piece j of the 16 packed bytes, s += lo(j) * x[j]
     * then s += hi(j) * x[16 + j] by FMA; acc = s * d + acc; the fixed-tree sum at the end.
     * Kept in this order, one row at a time: in {@link #q8Row}'s order (a multiply per piece,
     * so that batches could run the F32 kernels) it decoded the 426M model at 25.5 tok/s
     * against 35.6, two rows half the range apart included; four rows boxed (inlining cutoff).
     */
    static float q4Row(MemorySegment w, long base, int blocks, float[] x, int xo) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            final long block = base + 18L * b;
            final int xb = xo + 32 * b;
            FloatVector s = FloatVector.zero(F);
            for (int j = 0; j < 16; j += L) {
                ByteVector packed = ByteVector.fromMemorySegment(B, w, block + 2 + j, LE);
                ByteVector lo = packed.and((byte) 0x0F).sub((byte) 8);
                ByteVector hi = highNibbles(packed).sub((byte) 8);
                s = ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 0))
                        .fma(FloatVector.fromArray(F, x, xb + j), s);
                s = ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 0))
                        .fma(FloatVector.fromArray(F, x, xb + 16 + j), s);
            }
            float d = Float.float16ToFloat(w.get(Dequant.I16, block));
            acc = s.fma(FloatVector.broadcast(F, d), acc);
        }
        return sum(acc);
    }

    /**
     * The high nibble of each byte (0..15): shifted as ints, then masked. A byte-lane shift
     * has no x86 instruction and C2 widens, shifts and narrows it; this form halved the
     * Q4_0 row kernel's time per block (a copy over a 5632x2048 matrix in cache: 6.0 to
     * 11.4 GB/s of weights, AVX-512).
     */
    static ByteVector highNibbles(ByteVector packed) {
        return packed.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F);
    }

    /**
     * Rows [rowFrom, rowTo) of a Q8_0 or F16 matrix as F32 at {@code dst} (row-major, 4 * cols
     * bytes per row). Q8_0: each weight the exact f32 product of its quant and its block's scale, the value
     * {@link #q8Row} multiplies x by.
     */
    static void dequantise(TensorType type, MemorySegment w, int cols, int rowFrom, int rowTo, MemorySegment dst) {
        if (type == TensorType.F16) {
            widenF16(w, cols, rowFrom, rowTo, dst);
        } else {
            dequantiseQ8(w, cols, rowFrom, rowTo, dst);
        }
    }

    /**
     * Rows [rowFrom, rowTo) of an F16 matrix as F32 at {@code dst}: each weight widened exactly
     * ({@link #halfToFloat}; the tail by {@link Float#float16ToFloat}), the values {@link #halfRow}
     * multiplies x by, in the same order as {@link #f32Row} over them.
     */
    private static void widenF16(MemorySegment w, int cols, int rowFrom, int rowTo, MemorySegment dst) {
        final int bound = F.loopBound(cols);
        long at = 0;
        for (int r = rowFrom; r < rowTo; r++) {
            final long base = 2L * cols * r;
            int c = 0;
            for (; c < bound; c += L) {
                halfToFloat(ShortVector.fromMemorySegment(S, w, base + 2L * c, LE)).intoMemorySegment(dst, at + 4L * c, LE);
            }
            for (; c < cols; c++) {
                dst.set(Dequant.F32, at + 4L * c, Float.float16ToFloat(w.get(Dequant.I16, base + 2L * c)));
            }
            at += 4L * cols;
        }
    }

    private static void dequantiseQ8(MemorySegment w, int cols, int rowFrom, int rowTo, MemorySegment dst) {
        final int blocks = cols / 32;
        long at = 0;
        for (int r = rowFrom; r < rowTo; r++) {
            for (int b = 0; b < blocks; b++) {
                final long block = (r * (long) blocks + b) * 34L;
                final FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat(w.get(Dequant.I16, block)));
                for (int j = 0; j < 32; j += L) {
                    bytesToFloats(w, block + 2 + j).mul(d).intoMemorySegment(dst, at + 4L * j, LE);
                }
                at += 4L * 32;
            }
        }
    }
}
