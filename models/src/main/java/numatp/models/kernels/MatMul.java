package numatp.models.kernels;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import numatp.weights.Dequant;
import numatp.weights.Tensor;
import numatp.weights.TensorType;
import numatp.weights.quant.Q4KLayout;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import static numatp.models.kernels.MatVec.B;
import static numatp.models.kernels.MatVec.F;
import static numatp.models.kernels.MatVec.L;
import static numatp.models.kernels.MatVec.S;
import static numatp.models.kernels.MatVec.halfToFloat;
import static numatp.models.kernels.MatVec.sum;

/**
 * Matrix times a batch of vectors on the Vector API: for entries e in [0, n) and rows r in
 * [rowFrom, rowTo), out[outOff + e * outStride + r] = sum_c w[r, c] * x[xOff + e * xStride + c].
 *
 * <p>Rows outside, entries inside: each row is read from memory once per call and each
 * weight piece is decoded once (bytes to floats, halves to floats) for a group of
 * {@value #GROUP} entries, which then share it from registers; leftover entries use the
 * {@link MatVec} row kernels. Every entry's accumulation is exactly {@link MatVec}'s
 * (same lane split, same FMA order, same fixed-tree lane sum, same tail), so every output
 * is bitwise what {@link MatVec} gives for that entry alone: batching never changes an
 * answer. {@link ScalarMatMul} is the plain-loop twin. Allocation-free.
 */
public final class MatMul {
    /** Entries sharing one decoded weight piece: 4 x (accumulator + block sum) fit AVX2's 16 registers. */
    static final int GROUP = 4;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ThreadLocal<float[]> LANES = ThreadLocal.withInitial(() -> new float[GROUP * L]);

    private MatMul() {
    }

    public static void matMul(Tensor w, int n, float[] x, int xOff, int xStride, float[] out, int outOff,
                              int outStride) {
        matMul(w, 0, w.rows(), n, x, xOff, xStride, out, outOff, outStride);
    }

    public static void matMul(Tensor w, int rowFrom, int rowTo, int n, float[] x, int xOff, int xStride,
                              float[] out, int outOff, int outStride) {
        if (n == 1) {
            MatVec.matVec(w, rowFrom, rowTo, x, xOff, out, outOff);
            return;
        }
        final MemorySegment seg = w.data();
        final int cols = w.cols();
        switch (w.type()) {
            case F32 -> f32(seg, cols, rowFrom, rowTo, n, x, xOff, xStride, out, outOff, outStride);
            case F16 -> half(false, seg, cols, rowFrom, rowTo, n, x, xOff, xStride, out, outOff, outStride);
            case Q8_0 -> {
                if (MatVec.QUANT_VECTOR) {
                    q8(seg, cols / 32, rowFrom, rowTo, n, x, xOff, xStride, out, outOff, outStride);
                } else {
                    perEntry(w, rowFrom, rowTo, n, x, xOff, xStride, out, outOff, outStride);
                }
            }
            case Q4_0 -> {
                if (MatVec.QUANT_VECTOR) {
                    q4(seg, cols / 32, rowFrom, rowTo, n, x, xOff, xStride, out, outOff, outStride);
                } else {
                    perEntry(w, rowFrom, rowTo, n, x, xOff, xStride, out, outOff, outStride);
                }
            }
            case BF16 -> half(true, seg, cols, rowFrom, rowTo, n, x, xOff, xStride, out, outOff, outStride);
            case Q4_K, Q6_K -> {
                if (MatVec.QUANT_VECTOR) {
                    kQuant(w.type() == TensorType.Q4_K, seg, cols, rowFrom, rowTo, n, x, xOff, xStride, out, outOff,
                            outStride);
                } else {
                    perEntry(w, rowFrom, rowTo, n, x, xOff, xStride, out, outOff, outStride);
                }
            }
            case Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q5_K -> {
                if (MatVec.QUANT_VECTOR) {
                    vectorBlocks(w, rowFrom, rowTo, n, x, xOff, xStride, out, outOff, outStride);
                } else {
                    DequantisingKernels.matMul(w, rowFrom, rowTo, n, x, xOff, xStride, out, outOff, outStride);
                }
            }
        }
    }

    /**
     * Q4_1, Q5_0, Q5_1, Q2_K, Q3_K and Q5_K rows: groups of four entries through their
     * {@code Rows4} kernels, leftover entries through the one-entry row kernels.
     */
    static void vectorBlocks(Tensor w, int rowFrom, int rowTo, int n, float[] x, int xOff, int xStride, float[] out,
                             int outOff, int outStride) {
        final MemorySegment seg = w.data();
        final TensorType type = w.type();
        final int blocks = w.cols() / type.blockElements();
        final long rowBytes = w.rowBytes();
        final float[] lanes = lanes();
        for (int r = rowFrom; r < rowTo; r++) {
            final long base = r * rowBytes;
            int e = 0;
            for (; e + GROUP <= n; e += GROUP) {
                final int x0 = xOff + e * xStride;
                final int x1 = x0 + xStride;
                final int x2 = x1 + xStride;
                final int x3 = x2 + xStride;
                final int o = outOff + e * outStride + r;
                switch (type) {
                    case Q4_1 -> SmallBlockKernels.q41Rows4(seg, base, blocks, x, x0, x1, x2, x3, lanes, out, o, outStride);
                    case Q5_0 -> SmallBlockKernels.q50Rows4(seg, base, blocks, x, x0, x1, x2, x3, lanes, out, o, outStride);
                    case Q5_1 -> SmallBlockKernels.q51Rows4(seg, base, blocks, x, x0, x1, x2, x3, lanes, out, o, outStride);
                    case Q2_K -> LowBitKQuantKernels.q2kRows4(seg, base, blocks, x, x0, x1, x2, x3, lanes, out, o, outStride);
                    case Q3_K -> LowBitKQuantKernels.q3kRows4(seg, base, blocks, x, x0, x1, x2, x3, lanes, out, o, outStride);
                    case Q5_K -> Q5KKernels.q5kRows4(seg, base, blocks, x, x0, x1, x2, x3, lanes, out, o, outStride);
                    default -> throw new IllegalArgumentException("no block kernel for " + type + " (" + w.name() + ")");
                }
            }
            for (; e < n; e++) {
                final int xe = xOff + e * xStride;
                out[outOff + e * outStride + r] = switch (type) {
                    case Q4_1 -> SmallBlockKernels.q41Row(seg, base, blocks, x, xe);
                    case Q5_0 -> SmallBlockKernels.q50Row(seg, base, blocks, x, xe);
                    case Q5_1 -> SmallBlockKernels.q51Row(seg, base, blocks, x, xe);
                    case Q2_K -> LowBitKQuantKernels.q2kRow(seg, base, blocks, x, xe);
                    case Q3_K -> LowBitKQuantKernels.q3kRow(seg, base, blocks, x, xe);
                    case Q5_K -> Q5KKernels.q5kRow(seg, base, blocks, x, xe);
                    default -> throw new IllegalArgumentException("no block kernel for " + type + " (" + w.name() + ")");
                };
            }
        }
    }

    private static void perEntry(Tensor w, int rowFrom, int rowTo, int n, float[] x, int xOff, int xStride,
                                 float[] out, int outOff, int outStride) {
        for (int e = 0; e < n; e++) {
            MatVec.matVec(w, rowFrom, rowTo, x, xOff + e * xStride, out, outOff + e * outStride);
        }
    }

    static void f32(MemorySegment w, int cols, int rowFrom, int rowTo, int n, float[] x, int xOff, int xStride,
                    float[] out, int outOff, int outStride) {
        final long rowBytes = 4L * cols;
        final int bound = F.loopBound(cols);
        for (int r = rowFrom; r < rowTo; r++) {
            final long base = r * rowBytes;
            int e = 0;
            for (; e + GROUP <= n; e += GROUP) {
                final int x0 = xOff + e * xStride;
                final int x1 = x0 + xStride;
                final int x2 = x1 + xStride;
                final int x3 = x2 + xStride;
                FloatVector a0 = FloatVector.zero(F);
                FloatVector a1 = FloatVector.zero(F);
                FloatVector a2 = FloatVector.zero(F);
                FloatVector a3 = FloatVector.zero(F);
                int c = 0;
                for (; c < bound; c += L) {
                    FloatVector wv = FloatVector.fromMemorySegment(F, w, base + 4L * c, LE);
                    a0 = wv.fma(FloatVector.fromArray(F, x, x0 + c), a0);
                    a1 = wv.fma(FloatVector.fromArray(F, x, x1 + c), a1);
                    a2 = wv.fma(FloatVector.fromArray(F, x, x2 + c), a2);
                    a3 = wv.fma(FloatVector.fromArray(F, x, x3 + c), a3);
                }
                float s0 = sum(a0);
                float s1 = sum(a1);
                float s2 = sum(a2);
                float s3 = sum(a3);
                for (; c < cols; c++) {
                    float wc = w.get(Dequant.F32, base + 4L * c);
                    s0 += wc * x[x0 + c];
                    s1 += wc * x[x1 + c];
                    s2 += wc * x[x2 + c];
                    s3 += wc * x[x3 + c];
                }
                final int o = outOff + e * outStride + r;
                out[o] = s0;
                out[o + outStride] = s1;
                out[o + 2 * outStride] = s2;
                out[o + 3 * outStride] = s3;
            }
            for (; e < n; e++) {
                out[outOff + e * outStride + r] = MatVec.f32Row(w, base, cols, x, xOff + e * xStride);
            }
        }
    }

    /** F16 ({@code brainFloat} false) or BF16 rows: the f32 kernel's order, each weight piece widened once. */
    static void half(boolean brainFloat, MemorySegment w, int cols, int rowFrom, int rowTo, int n, float[] x, int xOff,
                     int xStride, float[] out, int outOff, int outStride) {
        final long rowBytes = 2L * cols;
        final int bound = F.loopBound(cols);
        for (int r = rowFrom; r < rowTo; r++) {
            final long base = r * rowBytes;
            int e = 0;
            for (; e + GROUP <= n; e += GROUP) {
                final int x0 = xOff + e * xStride;
                final int x1 = x0 + xStride;
                final int x2 = x1 + xStride;
                final int x3 = x2 + xStride;
                FloatVector a0 = FloatVector.zero(F);
                FloatVector a1 = FloatVector.zero(F);
                FloatVector a2 = FloatVector.zero(F);
                FloatVector a3 = FloatVector.zero(F);
                int c = 0;
                for (; c < bound; c += L) {
                    ShortVector h = ShortVector.fromMemorySegment(S, w, base + 2L * c, LE);
                    FloatVector wv = brainFloat ? MatVec.bf16ToFloat(h) : halfToFloat(h);
                    a0 = wv.fma(FloatVector.fromArray(F, x, x0 + c), a0);
                    a1 = wv.fma(FloatVector.fromArray(F, x, x1 + c), a1);
                    a2 = wv.fma(FloatVector.fromArray(F, x, x2 + c), a2);
                    a3 = wv.fma(FloatVector.fromArray(F, x, x3 + c), a3);
                }
                float s0 = sum(a0);
                float s1 = sum(a1);
                float s2 = sum(a2);
                float s3 = sum(a3);
                for (; c < cols; c++) {
                    short bits = w.get(Dequant.I16, base + 2L * c);
                    float wc = brainFloat ? Float.intBitsToFloat((bits & 0xFFFF) << 16) : Float.float16ToFloat(bits);
                    s0 += wc * x[x0 + c];
                    s1 += wc * x[x1 + c];
                    s2 += wc * x[x2 + c];
                    s3 += wc * x[x3 + c];
                }
                final int o = outOff + e * outStride + r;
                out[o] = s0;
                out[o + outStride] = s1;
                out[o + 2 * outStride] = s2;
                out[o + 3 * outStride] = s3;
            }
            for (; e < n; e++) {
                out[outOff + e * outStride + r] = MatVec.halfRow(brainFloat, w, base, cols, x, xOff + e * xStride);
            }
        }
    }

    /**
     * This thread's scratch for {@link #GROUP} accumulators' lanes (allocated once per thread):
     * the block kernels' four-entry forms store their accumulators there and sum them with
     * {@link MatVec#sum(float[], int)}.
     */
    static float[] lanes() {
        return LANES.get();
    }

    static void q8(MemorySegment w, int blocks, int rowFrom, int rowTo, int n, float[] x, int xOff, int xStride,
                   float[] out, int outOff, int outStride) {
        final long rowBytes = 34L * blocks;
        for (int r = rowFrom; r < rowTo; r++) {
            final long base = r * rowBytes;
            int e = 0;
            for (; e + GROUP <= n; e += GROUP) {
                final int x0 = xOff + e * xStride;
                final int x1 = x0 + xStride;
                final int x2 = x1 + xStride;
                final int x3 = x2 + xStride;
                FloatVector a0 = FloatVector.zero(F);
                FloatVector a1 = FloatVector.zero(F);
                FloatVector a2 = FloatVector.zero(F);
                FloatVector a3 = FloatVector.zero(F);
                for (int b = 0; b < blocks; b++) {
                    final long block = base + 34L * b;
                    final int xb = 32 * b;
                    FloatVector s0 = FloatVector.zero(F);
                    FloatVector s1 = FloatVector.zero(F);
                    FloatVector s2 = FloatVector.zero(F);
                    FloatVector s3 = FloatVector.zero(F);
                    for (int j = 0; j < 32; j += L) {
                        FloatVector qf = (FloatVector) ByteVector.fromMemorySegment(B, w, block + 2 + j, LE)
                                .convertShape(VectorOperators.B2F, F, 0);
                        s0 = qf.fma(FloatVector.fromArray(F, x, x0 + xb + j), s0);
                        s1 = qf.fma(FloatVector.fromArray(F, x, x1 + xb + j), s1);
                        s2 = qf.fma(FloatVector.fromArray(F, x, x2 + xb + j), s2);
                        s3 = qf.fma(FloatVector.fromArray(F, x, x3 + xb + j), s3);
                    }
                    FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat(w.get(Dequant.I16, block)));
                    a0 = s0.fma(d, a0);
                    a1 = s1.fma(d, a1);
                    a2 = s2.fma(d, a2);
                    a3 = s3.fma(d, a3);
                }
                final int o = outOff + e * outStride + r;
                out[o] = sum(a0);
                out[o + outStride] = sum(a1);
                out[o + 2 * outStride] = sum(a2);
                out[o + 3 * outStride] = sum(a3);
            }
            for (; e < n; e++) {
                out[outOff + e * outStride + r] = MatVec.q8Row(w, base, blocks, x, xOff + e * xStride);
            }
        }
    }

    /** Q4_K ({@code q4k}) or Q6_K rows: groups of four entries through {@link KQuantKernels}, leftovers one by one. */
    static void kQuant(boolean q4k, MemorySegment w, int cols, int rowFrom, int rowTo, int n, float[] x, int xOff,
                       int xStride, float[] out, int outOff, int outStride) {
        final int blocks = cols / TensorType.Q4_K.blockElements();
        final long rowBytes = (q4k ? TensorType.Q4_K : TensorType.Q6_K).bytesFor(cols);
        final float[] lanes = lanes();
        final int subs = cols / Q4KLayout.SUB_ELEMENTS;
        final float[] sums = q4k ? KQuantKernels.q4kSubSums(x, xOff, xStride, n, cols) : null;
        final float[] scales = q4k ? KQuantKernels.q4kScaleScratch(blocks) : null;
        for (int r = rowFrom; r < rowTo; r++) {
            final long base = r * rowBytes;
            int e = 0;
            for (; e + GROUP <= n; e += GROUP) {
                final int x0 = xOff + e * xStride;
                final int o = outOff + e * outStride + r;
                if (q4k) {
                    final int s0 = e * subs;
                    KQuantKernels.q4kRows4(w, base, blocks, x, x0, x0 + xStride, x0 + 2 * xStride, x0 + 3 * xStride,
                            sums, s0, s0 + subs, s0 + 2 * subs, s0 + 3 * subs, scales, lanes, out, o, outStride);
                } else {
                    KQuantKernels.q6kRows4(w, base, blocks, x, x0, x0 + xStride, x0 + 2 * xStride, x0 + 3 * xStride,
                            lanes, out, o, outStride);
                }
            }
            for (; e < n; e++) {
                final int xe = xOff + e * xStride;
                out[outOff + e * outStride + r] = q4k ? KQuantKernels.q4kRow(w, base, blocks, x, xe, sums, e * subs, scales)
                        : KQuantKernels.q6kRow(w, base, blocks, x, xe);
            }
        }
    }

    static void q4(MemorySegment w, int blocks, int rowFrom, int rowTo, int n, float[] x, int xOff, int xStride,
                   float[] out, int outOff, int outStride) {
        final long rowBytes = 18L * blocks;
        for (int r = rowFrom; r < rowTo; r++) {
            final long base = r * rowBytes;
            int e = 0;
            for (; e + GROUP <= n; e += GROUP) {
                final int x0 = xOff + e * xStride;
                final int x1 = x0 + xStride;
                final int x2 = x1 + xStride;
                final int x3 = x2 + xStride;
                FloatVector a0 = FloatVector.zero(F);
                FloatVector a1 = FloatVector.zero(F);
                FloatVector a2 = FloatVector.zero(F);
                FloatVector a3 = FloatVector.zero(F);
                for (int b = 0; b < blocks; b++) {
                    final long block = base + 18L * b;
                    final int xb = 32 * b;
                    FloatVector s0 = FloatVector.zero(F);
                    FloatVector s1 = FloatVector.zero(F);
                    FloatVector s2 = FloatVector.zero(F);
                    FloatVector s3 = FloatVector.zero(F);
                    for (int j = 0; j < 16; j += L) {
                        ByteVector packed = ByteVector.fromMemorySegment(B, w, block + 2 + j, LE);
                        FloatVector lo = (FloatVector) packed.and((byte) 0x0F).sub((byte) 8)
                                .convertShape(VectorOperators.B2F, F, 0);
                        FloatVector hi = (FloatVector) packed.lanewise(VectorOperators.LSHR, 4).and((byte) 0x0F)
                                .sub((byte) 8).convertShape(VectorOperators.B2F, F, 0);
                        final int lj = xb + j;
                        final int hj = xb + 16 + j;
                        s0 = hi.fma(FloatVector.fromArray(F, x, x0 + hj), lo.fma(FloatVector.fromArray(F, x, x0 + lj), s0));
                        s1 = hi.fma(FloatVector.fromArray(F, x, x1 + hj), lo.fma(FloatVector.fromArray(F, x, x1 + lj), s1));
                        s2 = hi.fma(FloatVector.fromArray(F, x, x2 + hj), lo.fma(FloatVector.fromArray(F, x, x2 + lj), s2));
                        s3 = hi.fma(FloatVector.fromArray(F, x, x3 + hj), lo.fma(FloatVector.fromArray(F, x, x3 + lj), s3));
                    }
                    FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat(w.get(Dequant.I16, block)));
                    a0 = s0.fma(d, a0);
                    a1 = s1.fma(d, a1);
                    a2 = s2.fma(d, a2);
                    a3 = s3.fma(d, a3);
                }
                final int o = outOff + e * outStride + r;
                out[o] = sum(a0);
                out[o + outStride] = sum(a1);
                out[o + 2 * outStride] = sum(a2);
                out[o + 3 * outStride] = sum(a3);
            }
            for (; e < n; e++) {
                out[outOff + e * outStride + r] = MatVec.q4Row(w, base, blocks, x, xOff + e * xStride);
            }
        }
    }
}
