package numatp.models.kernels;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import numatp.weights.Dequant;
import numatp.weights.Tensor;
import numatp.weights.TensorType;
import numatp.weights.quant.Q4KLayout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import static numatp.models.kernels.MatVec.B;
import static numatp.models.kernels.MatVec.F;
import static numatp.models.kernels.MatVec.L;
import static numatp.models.kernels.MatVec.S;
import static numatp.models.kernels.MatVec.sum;

/**
 * Matrix times a batch of vectors on the Vector API: for entries e in [0, n) and rows r in
 * [rowFrom, rowTo), out[outOff + e * outStride + r] = sum_c w[r, c] * x[xOff + e * xStride + c].
 *
 * <p>Blocks of rows ({@link #BLOCK_BYTES} of weights) outside, groups of {@value #GROUP}
 * entries inside them, rows innermost: each row is read from memory once per call and from
 * L2 once per group, each group's inputs stay in L1/L2 across the block, and each weight
 * piece is decoded once (bytes to floats, halves to floats) per group, whose entries then
 * share it from registers; leftover entries use the {@link MatVec} row kernels. Every entry's accumulation is exactly {@link MatVec}'s
 * (same lane split, same FMA order, same fixed-tree lane sum, same tail), so every output
 * is bitwise what {@link MatVec} gives for that entry alone: batching never changes an
 * answer. {@link ScalarMatMul} is the plain-loop twin. Allocation-free.
 */
public final class MatMul {
    /** Entries sharing one decoded weight piece: 4 x (accumulator + block sum) fit AVX2's 16 registers. */
    static final int GROUP = 4;
    /**
     * Weight bytes per cache block of rows: half of a 512 KiB L2 (AMD Zen 2-4; Intel server
     * cores have 1-2 MiB), leaving room for the group's inputs.
     */
    static final long BLOCK_BYTES = 256 * 1024;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ThreadLocal<float[]> LANES = ThreadLocal.withInitial(() -> new float[GROUP * L]);
    /** Rows of the F32/F16/BF16 register tiles ({@link #f32Tile}): 4 x {@value #GROUP} accumulators. */
    static final int TILE_ROWS = 4;
    /**
     * Whether the register tiles run: 16 accumulators plus 4 weights and an input need AVX-512's
     * 32 vector registers; with narrower vectors (AVX2: 8 lanes, 16 registers) the group-of-four rows run.
     */
    static final boolean TILES = L >= 16;
    private static final ThreadLocal<MemorySegment[]> SCRATCH = ThreadLocal.withInitial(() -> new MemorySegment[1]);
    private static final ThreadLocal<float[]> TILE_LANES =
            ThreadLocal.withInitial(() -> new float[TILE_ROWS * GROUP * L]);

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
        final long blockRowBytes = dequantises(w.type()) ? 4L * w.cols() : w.rowBytes();
        blocked(w, rowFrom, rowTo, n, x, xOff, xStride, out, outOff, outStride, blockRows(blockRowBytes));
    }

    /** {@link #matMul} with cache blocks of {@code blockRows} rows (tests choose small ones). */
    static void blocked(Tensor w, int rowFrom, int rowTo, int n, float[] x, int xOff, int xStride, float[] out,
                        int outOff, int outStride, int blockRows) {
        if (dequantises(w.type())) {
            dequantised(w, rowFrom, rowTo, n, x, xOff, xStride, out, outOff, outStride, blockRows);
            return;
        }
        for (int r = rowFrom; r < rowTo; r += blockRows) {
            final int blockTo = Math.min(rowTo, r + blockRows);
            for (int e = 0; e < n; e += GROUP) {
                group(w, r, blockTo, Math.min(GROUP, n - e), x, xOff + e * xStride, xStride, out,
                        outOff + e * outStride, outStride);
            }
        }
    }

    /**
     * Rows per cache block: as many as fit {@link #BLOCK_BYTES}, at least {@link #TILE_ROWS} (rows
     * longer than a quarter block, such as a 70B model's 28672-column down projection as F32
     * scratch, would otherwise leave the register tiles no four rows to run on). Each group of
     * entries then reads the block's rows from L2 and keeps its own inputs in L1/L2 across
     * them, where a whole-matrix pass per group re-read every input once per row from L3.
     */
    static int blockRows(long rowBytes) {
        if (rowBytes <= 0) {
            return 1 << 20; // a shard's empty slice: no bytes, one block
        }
        return (int) Math.max(TILE_ROWS, BLOCK_BYTES / rowBytes);
    }

    /**
     * Q8_0 or F16 rows, a cache block of them at a time dequantised to F32 in this thread's
     * scratch ({@link MatVec#dequantise}) and multiplied by the F32 kernels: each weight is
     * decoded once per call instead of once per group of entries, and the prompt path runs
     * the F32 register tiles. The row kernels multiply x by the same dequantised values in the
     * same order, so every entry still gets bitwise its {@link MatVec} result.
     */
    static void dequantised(Tensor w, int rowFrom, int rowTo, int n, float[] x, int xOff, int xStride, float[] out,
                            int outOff, int outStride, int blockRows) {
        final int cols = w.cols();
        final MemorySegment block = scratch(blockRows * 4L * cols);
        for (int r = rowFrom; r < rowTo; r += blockRows) {
            final int rows = Math.min(blockRows, rowTo - r);
            MatVec.dequantise(w.type(), w.data(), cols, r, r + rows, block);
            for (int e = 0; e < n; e += GROUP) {
                f32(block, cols, 0, rows, Math.min(GROUP, n - e), x, xOff + e * xStride, xStride, out,
                        outOff + e * outStride + r, outStride);
            }
        }
    }

    /**
     * Whether batches of this type run {@link #dequantised}: Q8_0 where the species has its
     * kernels, and F16 (widened exactly; its four-entry and tile forms, with the longer
     * widening four times over, went past C2's inlining cutoff and ran at 6-13 GFLOPS against
     * BF16's 45-90). Not Q4_0: its row kernel in that order (a multiply per piece) decoded the 426M
     * model at 25.5 tok/s against 35.6 in the per-block order, for a prompt 1.4x faster.
     */
    static boolean dequantises(TensorType type) {
        return MatVec.QUANT_VECTOR && type == TensorType.Q8_0 || type == TensorType.F16;
    }

    /** This thread's off-heap scratch of at least {@code bytes} (kept, grown when too small). */
    static MemorySegment scratch(long bytes) {
        MemorySegment[] held = SCRATCH.get();
        if (held[0] == null || held[0].byteSize() < bytes) {
            held[0] = Arena.ofAuto().allocate(Math.max(bytes, BLOCK_BYTES), 64);
        }
        return held[0];
    }

    /** One block of rows times up to {@link #GROUP} entries (one entry: the row kernels). */
    private static void group(Tensor w, int rowFrom, int rowTo, int n, float[] x, int xOff, int xStride,
                              float[] out, int outOff, int outStride) {
        if (n == 1) {
            MatVec.matVec(w, rowFrom, rowTo, x, xOff, out, outOff);
            return;
        }
        final MemorySegment seg = w.data();
        final int cols = w.cols();
        switch (w.type()) {
            case F32 -> f32(seg, cols, rowFrom, rowTo, n, x, xOff, xStride, out, outOff, outStride);
            // batches of these run dequantised (see dequantises); row by row if ever routed here
            case Q8_0, F16 -> perEntry(w, rowFrom, rowTo, n, x, xOff, xStride, out, outOff, outStride);
            case Q4_0 -> {
                if (MatVec.QUANT_VECTOR) {
                    q4(seg, cols / 32, rowFrom, rowTo, n, x, xOff, xStride, out, outOff, outStride);
                } else {
                    perEntry(w, rowFrom, rowTo, n, x, xOff, xStride, out, outOff, outStride);
                }
            }
            case BF16 -> bf16(seg, cols, rowFrom, rowTo, n, x, xOff, xStride, out, outOff, outStride);
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
        int r = rowFrom;
        if (TILES && n == GROUP) {
            final float[] lanes = tileLanes();
            for (; r + TILE_ROWS <= rowTo; r += TILE_ROWS) {
                f32Tile(w, r * rowBytes, rowBytes, cols, x, xOff, xStride, lanes, out, outOff + r, outStride);
            }
        }
        for (; r < rowTo; r++) {
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

    /**
     * Four rows times four entries (x at xo + e * xs) from byte {@code base}: sixteen
     * accumulators, each exactly {@link MatVec#f32Row}'s chain for its row and entry, sharing
     * every weight and input load four ways (the group-of-four form loads four inputs per
     * weight). Sums go through {@code lanes} (see {@link MatVec#sum(float[], int)}).
     */
    static void f32Tile(MemorySegment w, long base, long rowBytes, int cols, float[] x, int xo, int xs,
                        float[] lanes, float[] out, int o, int os) {
        final int bound = F.loopBound(cols);
        final long b0 = base;
        final long b1 = b0 + rowBytes;
        final long b2 = b1 + rowBytes;
        final long b3 = b2 + rowBytes;
        final int x0 = xo;
        final int x1 = x0 + xs;
        final int x2 = x1 + xs;
        final int x3 = x2 + xs;
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
        int c = 0;
        for (; c < bound; c += L) {
            final long cb = 4L * c;
            FloatVector w0 = FloatVector.fromMemorySegment(F, w, b0 + cb, LE);
            FloatVector w1 = FloatVector.fromMemorySegment(F, w, b1 + cb, LE);
            FloatVector w2 = FloatVector.fromMemorySegment(F, w, b2 + cb, LE);
            FloatVector w3 = FloatVector.fromMemorySegment(F, w, b3 + cb, LE);
            FloatVector xv = FloatVector.fromArray(F, x, x0 + c);
            a00 = w0.fma(xv, a00);
            a10 = w1.fma(xv, a10);
            a20 = w2.fma(xv, a20);
            a30 = w3.fma(xv, a30);
            xv = FloatVector.fromArray(F, x, x1 + c);
            a01 = w0.fma(xv, a01);
            a11 = w1.fma(xv, a11);
            a21 = w2.fma(xv, a21);
            a31 = w3.fma(xv, a31);
            xv = FloatVector.fromArray(F, x, x2 + c);
            a02 = w0.fma(xv, a02);
            a12 = w1.fma(xv, a12);
            a22 = w2.fma(xv, a22);
            a32 = w3.fma(xv, a32);
            xv = FloatVector.fromArray(F, x, x3 + c);
            a03 = w0.fma(xv, a03);
            a13 = w1.fma(xv, a13);
            a23 = w2.fma(xv, a23);
            a33 = w3.fma(xv, a33);
        }
        a00.intoArray(lanes, 0);
        a01.intoArray(lanes, L);
        a02.intoArray(lanes, 2 * L);
        a03.intoArray(lanes, 3 * L);
        a10.intoArray(lanes, 4 * L);
        a11.intoArray(lanes, 5 * L);
        a12.intoArray(lanes, 6 * L);
        a13.intoArray(lanes, 7 * L);
        a20.intoArray(lanes, 8 * L);
        a21.intoArray(lanes, 9 * L);
        a22.intoArray(lanes, 10 * L);
        a23.intoArray(lanes, 11 * L);
        a30.intoArray(lanes, 12 * L);
        a31.intoArray(lanes, 13 * L);
        a32.intoArray(lanes, 14 * L);
        a33.intoArray(lanes, 15 * L);
        tileSums(lanes, c, cols, w, base, rowBytes, x, xo, xs, out, o, os, 4L);
    }

    /**
     * Each tile output's fixed-tree lane sum (from {@code lanes}, row-major by row then entry)
     * plus its f32 tail c in [from, cols), as {@link MatVec#f32Row} and {@link MatVec#halfRow}
     * end; {@code elementBytes} 4 reads F32 weights, 2 BF16.
     */
    private static void tileSums(float[] lanes, int from, int cols, MemorySegment w, long base, long rowBytes,
                                 float[] x, int xo, int xs, float[] out, int o, int os, long elementBytes) {
        for (int i = 0; i < TILE_ROWS; i++) {
            final long rb = base + i * rowBytes;
            for (int e = 0; e < GROUP; e++) {
                float s = MatVec.sum(lanes, (i * GROUP + e) * L);
                final int xe = xo + e * xs;
                for (int c = from; c < cols; c++) {
                    float wc;
                    if (elementBytes == 4L) {
                        wc = w.get(Dequant.F32, rb + 4L * c);
                    } else {
                        short bits = w.get(Dequant.I16, rb + 2L * c);
                        wc = Float.intBitsToFloat((bits & 0xFFFF) << 16);
                    }
                    s += wc * x[xe + c];
                }
                out[o + i + e * os] = s;
            }
        }
    }

    /**
     * Four BF16 rows times four entries: {@link #f32Tile}
     * with each weight piece widened once, every chain exactly {@link MatVec#halfRow}'s.
     */
    static void bf16Tile(MemorySegment w, long base, long rowBytes, int cols, float[] x, int xo,
                         int xs, float[] lanes, float[] out, int o, int os) {
        final int bound = F.loopBound(cols);
        final long b0 = base;
        final long b1 = b0 + rowBytes;
        final long b2 = b1 + rowBytes;
        final long b3 = b2 + rowBytes;
        final int x0 = xo;
        final int x1 = x0 + xs;
        final int x2 = x1 + xs;
        final int x3 = x2 + xs;
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
        int c = 0;
        for (; c < bound; c += L) {
            final long cb = 2L * c;
            FloatVector w0 = MatVec.bf16ToFloat(ShortVector.fromMemorySegment(S, w, b0 + cb, LE));
            FloatVector w1 = MatVec.bf16ToFloat(ShortVector.fromMemorySegment(S, w, b1 + cb, LE));
            FloatVector w2 = MatVec.bf16ToFloat(ShortVector.fromMemorySegment(S, w, b2 + cb, LE));
            FloatVector w3 = MatVec.bf16ToFloat(ShortVector.fromMemorySegment(S, w, b3 + cb, LE));
            FloatVector xv = FloatVector.fromArray(F, x, x0 + c);
            a00 = w0.fma(xv, a00);
            a10 = w1.fma(xv, a10);
            a20 = w2.fma(xv, a20);
            a30 = w3.fma(xv, a30);
            xv = FloatVector.fromArray(F, x, x1 + c);
            a01 = w0.fma(xv, a01);
            a11 = w1.fma(xv, a11);
            a21 = w2.fma(xv, a21);
            a31 = w3.fma(xv, a31);
            xv = FloatVector.fromArray(F, x, x2 + c);
            a02 = w0.fma(xv, a02);
            a12 = w1.fma(xv, a12);
            a22 = w2.fma(xv, a22);
            a32 = w3.fma(xv, a32);
            xv = FloatVector.fromArray(F, x, x3 + c);
            a03 = w0.fma(xv, a03);
            a13 = w1.fma(xv, a13);
            a23 = w2.fma(xv, a23);
            a33 = w3.fma(xv, a33);
        }
        a00.intoArray(lanes, 0);
        a01.intoArray(lanes, L);
        a02.intoArray(lanes, 2 * L);
        a03.intoArray(lanes, 3 * L);
        a10.intoArray(lanes, 4 * L);
        a11.intoArray(lanes, 5 * L);
        a12.intoArray(lanes, 6 * L);
        a13.intoArray(lanes, 7 * L);
        a20.intoArray(lanes, 8 * L);
        a21.intoArray(lanes, 9 * L);
        a22.intoArray(lanes, 10 * L);
        a23.intoArray(lanes, 11 * L);
        a30.intoArray(lanes, 12 * L);
        a31.intoArray(lanes, 13 * L);
        a32.intoArray(lanes, 14 * L);
        a33.intoArray(lanes, 15 * L);
        tileSums(lanes, c, cols, w, base, rowBytes, x, xo, xs, out, o, os, 2L);
    }

    /** BF16 rows: the f32 kernel's order, each weight piece widened once. */
    static void bf16(MemorySegment w, int cols, int rowFrom, int rowTo, int n, float[] x, int xOff,
                     int xStride, float[] out, int outOff, int outStride) {
        final long rowBytes = 2L * cols;
        final int bound = F.loopBound(cols);
        int r = rowFrom;
        if (TILES && n == GROUP) {
            final float[] lanes = tileLanes();
            for (; r + TILE_ROWS <= rowTo; r += TILE_ROWS) {
                bf16Tile(w, r * rowBytes, rowBytes, cols, x, xOff, xStride, lanes, out, outOff + r,
                        outStride);
            }
        }
        for (; r < rowTo; r++) {
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
                    FloatVector wv = MatVec.bf16ToFloat(h);
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
                    float wc = Float.intBitsToFloat((bits & 0xFFFF) << 16);
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
                out[outOff + e * outStride + r] = MatVec.halfRow(true, w, base, cols, x, xOff + e * xStride);
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

    /** This thread's scratch for a register tile's {@value #TILE_ROWS} x {@value #GROUP} accumulators. */
    static float[] tileLanes() {
        return TILE_LANES.get();
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
            if (q4k && e < n) {
                KQuantKernels.q4kScales(w, base, blocks, scales);
            }
            for (; e < n; e++) {
                final int xe = xOff + e * xStride;
                out[outOff + e * outStride + r] = q4k
                        ? KQuantKernels.q4kRow(w, base, blocks, x, xe, sums, e * subs, scales, lanes)
                        : KQuantKernels.q6kRow(w, base, blocks, x, xe, lanes);
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
                        FloatVector hi = (FloatVector) MatVec.highNibbles(packed)
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
