package numatp.models.tp;

import numatp.models.LlamaConfig;
import numatp.weights.ModelTensors;
import numatp.weights.Split;
import numatp.weights.Tensor;
import numatp.weights.TensorSlicer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One shard's weights, copied into its node's memory by a {@link TensorSlicer}:
 * replicated tensors (embeddings, norms) are shared by the shards of a node, the rest
 * are this shard's rows or columns as {@link ShardPlan} says.
 */
public final class ShardWeights {
    final Tensor tokenEmbedding; // [vocab, dim], replica
    final Tensor[] attnNorm; // [layers] of [1, dim], replica
    final Tensor[] wq; // [layers] of [qHeads * headSize, dim], rows of this shard's query heads
    final Tensor[] wk; // [layers] of [kvHeads * headSize, dim], rows of the KV heads this shard holds
    final Tensor[] wv; // [layers] of [kvHeads * headSize, dim]
    final Tensor[] wo; // [layers] of [dim, qHeads * headSize], columns of this shard's query heads; null: exact
    final ReductionPieces[] woPieces; // [layers] wo by head (Reduction.EXACT); null: fast
    final Tensor[] ffnNorm; // [layers] of [1, dim], replica
    final Tensor[] w1; // [layers] of [hiddenPart, dim], gate rows
    final Tensor[] w3; // [layers] of [hiddenPart, dim], up rows
    final Tensor[] w2; // [layers] of [dim, hiddenPart], down columns; null: exact
    final ReductionPieces[] w2Pieces; // [layers] w2 by column unit (Reduction.EXACT); null: fast
    final Tensor outputNorm; // [1, dim], replica
    final Tensor output; // [vocabPart, dim], this shard's vocabulary rows
    final Tensor[] bq; // [layers] of [1, qHeads * headSize] f32, Q bias elements of wq's rows; null: no biases
    final Tensor[] bk; // [layers] of [1, kvHeads * headSize] f32, as wk's rows; null: no biases
    final Tensor[] bv; // [layers] of [1, kvHeads * headSize] f32, as wv's rows; null: no biases
    final Tensor[] qNorm; // [layers] of [1, headSize], replica, RMSNorm weight of every query head; null: none
    final Tensor[] kNorm; // [layers] of [1, headSize], replica, of every key head; null: none
    final float[] ropeDivisors; // [headSize / 2] each RoPE frequency is divided by (rope_freqs.weight); all 1 without

    private static final System.Logger LOG = System.getLogger(ShardWeights.class.getName());

    private ShardWeights(Tensor tokenEmbedding, Tensor[] attnNorm, Tensor[] wq, Tensor[] wk, Tensor[] wv, Tensor[] wo,
                         ReductionPieces[] woPieces, Tensor[] ffnNorm, Tensor[] w1, Tensor[] w3, Tensor[] w2,
                         ReductionPieces[] w2Pieces, Tensor outputNorm, Tensor output, Tensor[] bq, Tensor[] bk, Tensor[] bv, Tensor[] qNorm, Tensor[] kNorm, float[] ropeDivisors) {
        this.tokenEmbedding = tokenEmbedding;
        this.attnNorm = attnNorm;
        this.wq = wq;
        this.wk = wk;
        this.wv = wv;
        this.wo = wo;
        this.woPieces = woPieces;
        this.ffnNorm = ffnNorm;
        this.w1 = w1;
        this.w3 = w3;
        this.w2 = w2;
        this.w2Pieces = w2Pieces;
        this.outputNorm = outputNorm;
        this.output = output;
        this.bq = bq;
        this.bk = bk;
        this.bv = bv;
        this.qNorm = qNorm;
        this.kNorm = kNorm;
        this.ropeDivisors = ropeDivisors;
    }

    /** Every tensor this shard reads: its slices and its node's replicas. */
    List<Tensor> tensors() {
        List<Tensor> all = new ArrayList<>();
        all.add(tokenEmbedding);
        all.add(outputNorm);
        all.add(output);
        for (Tensor[] layer : new Tensor[][] {attnNorm, wq, wk, wv, wo, ffnNorm, w1, w3, w2, bq, bk, bv, qNorm,
                kNorm}) {
            if (layer != null) {
                Collections.addAll(all, layer);
            }
        }
        for (ReductionPieces[] pieces : new ReductionPieces[][] {woPieces, w2Pieces}) {
            if (pieces != null) {
                for (ReductionPieces layer : pieces) {
                    Tensor previous = null;
                    for (Tensor t : layer.weights()) {
                        if (t != previous) { // pieces over the same blocks share one copy, adjacent
                            all.add(t);
                        }
                        previous = t;
                    }
                }
            }
        }
        return all;
    }

    /** Replicas already copied, by node and tensor name, so the shards of a node share them. */
    public static final class Replicas {
        private final TensorSlicer slicer;
        private final Map<String, Tensor> byNodeAndName = new HashMap<>();

        public Replicas(TensorSlicer slicer) {
            this.slicer = slicer;
        }

        Tensor get(Tensor t, int node) {
            return byNodeAndName.computeIfAbsent(node + "/" + t.name(), k -> slicer.replicate(t, node));
        }
    }

    /** Slices shard {@code shard}'s weights out of {@code model} onto {@code node} for {@link Reduction#FAST}. */
    public static ShardWeights slice(ModelTensors model, ShardPlan plan, int shard, int node, TensorSlicer slicer,
                                     Replicas replicas) {
        return slice(model, plan, shard, node, slicer, replicas, null);
    }

    /**
     * Slices shard {@code shard}'s weights out of {@code model} onto {@code node}; with
     * {@code units} (Reduction.EXACT) attn_output and ffn_down are held as {@link ReductionPieces}
     * (one per head, one per down unit), else as one slice each.
     */
    static ShardWeights slice(ModelTensors model, ShardPlan plan, int shard, int node, TensorSlicer slicer,
                              Replicas replicas, ReductionUnits units) {
        LlamaConfig c = plan.config();
        int hs = c.headSize();
        int layers = c.layers();
        int q0 = plan.queryHeads().start(shard) * hs;
        int qn = plan.queryHeads().size(shard) * hs;
        int kv0 = plan.kvStart(shard) * hs;
        int kvn = plan.kvCount(shard) * hs;
        int h0 = plan.hidden().start(shard);
        int hn = plan.hidden().size(shard);
        Split queryColumns = plan.queryHeads().scaled(hs);
        Tensor[] attnNorm = new Tensor[layers];
        Tensor[] wq = new Tensor[layers];
        Tensor[] wk = new Tensor[layers];
        Tensor[] wv = new Tensor[layers];
        Tensor[] wo = units == null ? new Tensor[layers] : null;
        ReductionPieces[] woPieces = units == null ? null : new ReductionPieces[layers];
        Tensor[] ffnNorm = new Tensor[layers];
        Tensor[] w1 = new Tensor[layers];
        Tensor[] w3 = new Tensor[layers];
        Tensor[] w2 = units == null ? new Tensor[layers] : null;
        ReductionPieces[] w2Pieces = units == null ? null : new ReductionPieces[layers];
        boolean biases = model.has("blk.0.attn_q.bias");
        boolean qkNorm = model.has("blk.0.attn_q_norm.weight");
        Tensor[] bq = biases ? new Tensor[layers] : null;
        Tensor[] bk = biases ? new Tensor[layers] : null;
        Tensor[] bv = biases ? new Tensor[layers] : null;
        Tensor[] qNorm = qkNorm ? new Tensor[layers] : null;
        Tensor[] kNorm = qkNorm ? new Tensor[layers] : null;
        for (int l = 0; l < layers; l++) {
            String p = "blk." + l + ".";
            attnNorm[l] = replicas.get(model.tensor(p + "attn_norm.weight"), node);
            ffnNorm[l] = replicas.get(model.tensor(p + "ffn_norm.weight"), node);
            wq[l] = slicer.rows(model.tensor(p + "attn_q.weight"), q0, qn, node);
            wk[l] = slicer.rows(model.tensor(p + "attn_k.weight"), kv0, kvn, node);
            wv[l] = slicer.rows(model.tensor(p + "attn_v.weight"), kv0, kvn, node);
            if (units == null) {
                wo[l] = outputColumns(model.tensor(p + "attn_output.weight"), queryColumns, shard, node, slicer);
            } else {
                woPieces[l] = pieces(model.tensor(p + "attn_output.weight"), q0, qn, hs, node, slicer);
            }
            if (biases) {
                bq[l] = slicer.columns(model.tensor(p + "attn_q.bias"), q0, qn, node);
                bk[l] = slicer.columns(model.tensor(p + "attn_k.bias"), kv0, kvn, node);
                bv[l] = slicer.columns(model.tensor(p + "attn_v.bias"), kv0, kvn, node);
            }
            if (qkNorm) {
                qNorm[l] = replicas.get(model.tensor(p + "attn_q_norm.weight"), node);
                kNorm[l] = replicas.get(model.tensor(p + "attn_k_norm.weight"), node);
            }
            w1[l] = slicer.rows(model.tensor(p + "ffn_gate.weight"), h0, hn, node);
            w3[l] = slicer.rows(model.tensor(p + "ffn_up.weight"), h0, hn, node);
            if (units == null) {
                w2[l] = slicer.columns(model.tensor(p + "ffn_down.weight"), plan.hidden(), shard, node);
            } else {
                w2Pieces[l] = pieces(model.tensor(p + "ffn_down.weight"), h0, hn, units.downColumns(), node, slicer);
            }
        }
        Tensor embed = replicas.get(model.tensor("token_embd.weight"), node);
        Tensor outNorm = replicas.get(model.tensor("output_norm.weight"), node);
        Tensor out = slicer.rows(model.tensor("output.weight"), plan.vocab().start(shard), plan.vocab().size(shard),
                node);
        return new ShardWeights(embed, attnNorm, wq, wk, wv, wo, woPieces, ffnNorm, w1, w3, w2, w2Pieces, outNorm, out,
                bq, bk, bv, qNorm, kNorm, ropeDivisors(model, hs));
    }

    /**
     * This shard's columns of attn_output: whole heads. When the head split cuts the tensor's
     * 256-element K-quant blocks (2 shards of 8 heads of 32: 128 columns each), the slice is
     * dequantised to f32 instead (exact values, 4 bytes per weight), and a line is logged: the
     * alternative, a block-aligned split of these columns, would need other shards' attention
     * outputs. Real models (head 128, 32 heads) cut blocks only at odd shard counts.
     */
    private static Tensor outputColumns(Tensor t, Split heads, int shard, int node, TensorSlicer slicer) {
        if (t.type().blockElements() > 32 && TensorSlicer.cutsBlocks(t, heads)) {
            if (shard == 0 && t.name().startsWith("blk.0.")) {
                LOG.log(System.Logger.Level.INFO, "{0}: {1} columns {2} per shard cut its {3}-element blocks;"
                        + " those slices are dequantised to F32 in every layer", t.name(), t.type(), heads, t.type().blockElements());
            }
            return slicer.columnsF32(t, heads, shard, node);
        }
        return slicer.columns(t, heads, shard, node);
    }

    /**
     * Columns [from, from + count) of {@code t} as pieces of {@code unit} columns (count is a
     * multiple), each widened to the whole blocks that cover it (see {@link ReductionPieces}).
     * Pieces that cover the same blocks (two heads of 128 in a 256-column block) share one
     * copy, so the memory is the shard's block-aligned span and a block read for one head is
     * still in cache for the next.
     */
    private static ReductionPieces pieces(Tensor t, int from, int count, int unit, int node, TensorSlicer slicer) {
        int n = count / unit;
        int block = t.type().blockElements();
        int[] blockFrom = new int[n];
        int[] width = new int[n];
        int[] inputFrom = new int[n];
        int[] lead = new int[n];
        int[] counts = new int[n];
        int[] copy = new int[n]; // which distinct range piece k reads
        int distinct = 0;
        for (int k = 0; k < n; k++) {
            int first = from + k * unit;
            blockFrom[distinct] = first / block * block;
            width[distinct] = (first + unit + block - 1) / block * block - blockFrom[distinct];
            if (distinct > 0 && blockFrom[distinct] == blockFrom[distinct - 1] && width[distinct] == width[distinct - 1]) {
                copy[k] = distinct - 1;
            } else {
                copy[k] = distinct++;
            }
            inputFrom[k] = k * unit;
            lead[k] = first - first / block * block;
            counts[k] = unit;
        }
        Tensor[] ranges = slicer.columnRanges(t, Arrays.copyOf(blockFrom, distinct), Arrays.copyOf(width, distinct),
                node);
        Tensor[] weights = new Tensor[n];
        for (int k = 0; k < n; k++) {
            weights[k] = ranges[copy[k]];
        }
        return ReductionPieces.of(weights, inputFrom, lead, counts);
    }

    /** rope_freqs.weight as floats, or all ones. */
    private static float[] ropeDivisors(ModelTensors model, int hs) {
        float[] d = new float[hs / 2];
        Arrays.fill(d, 1f);
        if (model.has(ROPE_FREQS)) {
            Tensor t = model.tensor(ROPE_FREQS);
            for (int i = 0; i < d.length; i++) {
                d[i] = t.get(0, i);
            }
        }
        return d;
    }

    private static final String ROPE_FREQS = "rope_freqs.weight";
}
