package numatp.models.tp;

import numatp.collectives.team.RangeBody;
import numatp.models.kernels.MatMul;
import numatp.weights.Tensor;

import java.util.Arrays;

/**
 * A row-parallel product (attention output, feed-forward down) as {@link Reduction#EXACT}
 * sums it: for each column piece (one reduction unit, or the part of one a shard holds) the
 * kernels' f32 dot products of every row, each rounded to {@link ExactSums fixed point} and
 * added to the row's long total. Then, for one shard, the totals' f32 values; for several,
 * the totals as three limbs for the f32 allreduce. Run over ranges of output rows by the
 * shard's team (each thread writes only its rows); buffers sized once, no allocation per call.
 */
final class ExactProduct implements RangeBody {
    private final int dim;
    private final long[] fixed; // [maxBatch, dim] totals
    private final float[] poison; // [maxBatch, dim] 0, or NaN once a unit value was unusable
    private final float[] piece; // [maxBatch, dim] one piece's dot products
    private final float[] limbs; // [3, n, dim] low, middle, high limbs of the totals (allreduce layout)
    private final float[] scratch; // [maxBatch * scratchPerEntry] padded pieces' inputs
    private ReductionPieces pieces;
    private int n;
    private float[] x;
    private int xStride;
    private float[] out; // one shard: the values go here; null: limbs

    ExactProduct(int dim, int maxBatch, int scratchPerEntry) {
        this.dim = dim;
        scratch = new float[maxBatch * scratchPerEntry];
        fixed = new long[maxBatch * dim];
        poison = new float[maxBatch * dim];
        piece = new float[maxBatch * dim];
        limbs = new float[3 * maxBatch * dim];
    }

    /** Limbs of the last {@link #set} without {@code out}: [3 * n * dim], low limbs first. */
    float[] limbs() {
        return limbs;
    }

    /**
     * The next product: out[e * dim + r] = sum over pieces of their row r . their input columns
     * of x[e * xStride ..] for n entries; {@code out} null to produce {@link #limbs} instead.
     * Fills the padded pieces' inputs (on the caller's thread, before the team runs).
     */
    void set(ReductionPieces pieces, int n, float[] x, int xStride, float[] out) {
        for (int k = 0; k < pieces.size(); k++) {
            int at = pieces.scratchFrom()[k];
            if (at < 0) {
                continue;
            }
            int width = pieces.weights()[k].cols();
            for (int e = 0; e < n; e++) {
                int base = n * at + e * width;
                Arrays.fill(scratch, base, base + width, 0f);
                System.arraycopy(x, e * xStride + pieces.inputFrom()[k], scratch, base + pieces.lead()[k],
                        pieces.count()[k]);
            }
        }
        this.pieces = pieces;
        this.n = n;
        this.x = x;
        this.xStride = xStride;
        this.out = out;
    }

    void clear() {
        pieces = null;
        x = null;
        out = null;
    }

    /** Decodes the allreduced limbs (low, middle, high blocks of n * dim) into out[0, n * dim). */
    static void decode(float[] limbs, int count, float[] out) {
        for (int i = 0; i < count; i++) {
            out[i] = ExactSums.value(limbs[2 * count + i], limbs[count + i], limbs[i]);
        }
    }

    @Override
    public void run(int from, int to) {
        final int dim = this.dim;
        for (int e = 0; e < n; e++) {
            Arrays.fill(fixed, e * dim + from, e * dim + to, 0L);
            Arrays.fill(poison, e * dim + from, e * dim + to, 0f);
        }
        final ReductionPieces ps = pieces;
        for (int k = 0; k < ps.size(); k++) {
            Tensor p = ps.weights()[k];
            int at = ps.scratchFrom()[k];
            if (at < 0) {
                MatMul.matMul(p, from, to, n, x, ps.inputFrom()[k], xStride, piece, 0, dim);
            } else {
                MatMul.matMul(p, from, to, n, scratch, n * at, p.cols(), piece, 0, dim);
            }
            for (int e = 0; e < n; e++) {
                for (int i = e * dim + from, end = e * dim + to; i < end; i++) {
                    float v = piece[i];
                    fixed[i] += ExactSums.fixed(v);
                    poison[i] += ExactSums.poison(v);
                }
            }
        }
        final int count = n * dim;
        for (int e = 0; e < n; e++) {
            for (int i = e * dim + from, end = e * dim + to; i < end; i++) {
                if (out != null) {
                    out[i] = ExactSums.value(fixed[i], poison[i]);
                } else {
                    limbs[i] = ExactSums.low(fixed[i], poison[i]);
                    limbs[count + i] = ExactSums.middle(fixed[i]);
                    limbs[2 * count + i] = ExactSums.high(fixed[i]);
                }
            }
        }
    }
}
