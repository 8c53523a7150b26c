package numatp.models.tp;

import numatp.models.LlamaConfig;
import numatp.weights.ModelTensors;

/**
 * The column units {@link Reduction#EXACT} sums separately, fixed by the model alone so that
 * every shard count sums the same units: one head of attn_output (shards always own whole
 * heads), and {@code downColumns} of ffn_down, which is also the plan's hidden granule: the
 * widest block of any layer's down, doubled while it divides the hidden width and stays
 * within 256 (fewer units, fewer roundings).
 */
record ReductionUnits(int downColumns) {
    private static final int MAX_DOWN_UNIT = 256;

    static ReductionUnits of(ModelTensors model, LlamaConfig c) {
        int downBlock = widestDownBlock(model, c);
        int down = c.hiddenDim() % downBlock == 0 ? downBlock : 1;
        while (down * 2 <= MAX_DOWN_UNIT && c.hiddenDim() % (down * 2) == 0) {
            down *= 2;
        }
        return new ReductionUnits(down);
    }

    /** The widest block of any layer's ffn_down (block sizes are powers of two). */
    static int widestDownBlock(ModelTensors model, LlamaConfig c) {
        int block = 1;
        for (int l = 0; l < c.layers(); l++) {
            block = Math.max(block, model.tensor("blk." + l + ".ffn_down.weight").type().blockElements());
        }
        return block;
    }

    /**
     * The plan of {@code shards} shards: hidden units split in these units' down columns
     * ({@code units} non-null, the exact reduction), else in whole blocks of down.
     */
    static ShardPlan plan(ModelTensors model, LlamaConfig c, int shards, ReductionUnits units) {
        return new ShardPlan(c, shards, units != null ? units.downColumns() : widestDownBlock(model, c));
    }
}
