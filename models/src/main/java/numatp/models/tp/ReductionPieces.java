package numatp.models.tp;

import numatp.weights.Tensor;

/**
 * One shard's part of a row-parallel matrix as {@link Reduction#EXACT} reads it: one piece
 * per reduction unit it owns (a head of attn_output, a column unit of ffn_down). Piece k's
 * weights are the columns of the whole blocks that cover its unit; its input is the unit's
 * {@code count[k]} input columns from {@code inputFrom[k]}, placed {@code lead[k]} columns into
 * the piece, zeros elsewhere (a head of 128 columns in a 256-column K-quant block: the block,
 * with the other head's half of the input zeroed). So a unit's dot products are the same
 * arithmetic whichever shard holds it. Padded pieces get their input in a scratch laid out
 * [piece][entry][width] from {@code scratchFrom[k]} (x the entry count); unpadded ones
 * ({@code scratchFrom[k] < 0}) read the shard's input in place.
 */
record ReductionPieces(Tensor[] weights, int[] inputFrom, int[] lead, int[] count, int[] scratchFrom,
                       int scratchPerEntry) {

    /** Pieces for units [inputFrom[k], + count[k]) of a shard whose input starts at global column {@code globalFrom}. */
    static ReductionPieces of(Tensor[] weights, int[] inputFrom, int[] lead, int[] count) {
        int[] scratchFrom = new int[weights.length];
        int scratch = 0;
        for (int k = 0; k < weights.length; k++) {
            boolean padded = lead[k] != 0 || weights[k].cols() != count[k];
            scratchFrom[k] = padded ? scratch : -1;
            scratch += padded ? weights[k].cols() : 0;
        }
        return new ReductionPieces(weights, inputFrom, lead, count, scratchFrom, scratch);
    }

    int size() {
        return weights.length;
    }

    /** Columns read per entry (weights of every piece). */
    long columns() {
        long c = 0;
        for (Tensor t : weights) {
            c += t.cols();
        }
        return c;
    }
}
