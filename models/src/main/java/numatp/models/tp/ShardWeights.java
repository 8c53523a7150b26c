package numatp.models.tp;

import numatp.models.LlamaConfig;
import numatp.weights.ModelTensors;
import numatp.weights.Split;
import numatp.weights.Tensor;
import numatp.weights.TensorSlicer;

import java.util.ArrayList;
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
    final Tensor[] wo; // [layers] of [dim, qHeads * headSize], columns of this shard's query heads
    final Tensor[] ffnNorm; // [layers] of [1, dim], replica
    final Tensor[] w1; // [layers] of [hiddenPart, dim], gate rows
    final Tensor[] w3; // [layers] of [hiddenPart, dim], up rows
    final Tensor[] w2; // [layers] of [dim, hiddenPart], down columns
    final Tensor outputNorm; // [1, dim], replica
    final Tensor output; // [vocabPart, dim], this shard's vocabulary rows

    private ShardWeights(Tensor tokenEmbedding, Tensor[] attnNorm, Tensor[] wq, Tensor[] wk, Tensor[] wv, Tensor[] wo,
                         Tensor[] ffnNorm, Tensor[] w1, Tensor[] w3, Tensor[] w2, Tensor outputNorm, Tensor output) {
        this.tokenEmbedding = tokenEmbedding;
        this.attnNorm = attnNorm;
        this.wq = wq;
        this.wk = wk;
        this.wv = wv;
        this.wo = wo;
        this.ffnNorm = ffnNorm;
        this.w1 = w1;
        this.w3 = w3;
        this.w2 = w2;
        this.outputNorm = outputNorm;
        this.output = output;
    }

    /** Every tensor this shard reads: its slices and its node's replicas. */
    List<Tensor> tensors() {
        List<Tensor> all = new ArrayList<>();
        all.add(tokenEmbedding);
        all.add(outputNorm);
        all.add(output);
        for (Tensor[] layer : new Tensor[][] {attnNorm, wq, wk, wv, wo, ffnNorm, w1, w3, w2}) {
            Collections.addAll(all, layer);
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

    /** Slices shard {@code shard}'s weights out of {@code model} onto {@code node}. */
    public static ShardWeights slice(ModelTensors model, ShardPlan plan, int shard, int node, TensorSlicer slicer,
                                     Replicas replicas) {
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
        Tensor[] wo = new Tensor[layers];
        Tensor[] ffnNorm = new Tensor[layers];
        Tensor[] w1 = new Tensor[layers];
        Tensor[] w3 = new Tensor[layers];
        Tensor[] w2 = new Tensor[layers];
        for (int l = 0; l < layers; l++) {
            String p = "blk." + l + ".";
            attnNorm[l] = replicas.get(model.tensor(p + "attn_norm.weight"), node);
            ffnNorm[l] = replicas.get(model.tensor(p + "ffn_norm.weight"), node);
            wq[l] = slicer.rows(model.tensor(p + "attn_q.weight"), q0, qn, node);
            wk[l] = slicer.rows(model.tensor(p + "attn_k.weight"), kv0, kvn, node);
            wv[l] = slicer.rows(model.tensor(p + "attn_v.weight"), kv0, kvn, node);
            wo[l] = slicer.columns(model.tensor(p + "attn_output.weight"), queryColumns, shard, node);
            w1[l] = slicer.rows(model.tensor(p + "ffn_gate.weight"), h0, hn, node);
            w3[l] = slicer.rows(model.tensor(p + "ffn_up.weight"), h0, hn, node);
            w2[l] = slicer.columns(model.tensor(p + "ffn_down.weight"), plan.hidden(), shard, node);
        }
        Tensor embed = replicas.get(model.tensor("token_embd.weight"), node);
        Tensor outNorm = replicas.get(model.tensor("output_norm.weight"), node);
        Tensor out = slicer.rows(model.tensor("output.weight"), plan.vocab().start(shard), plan.vocab().size(shard),
                node);
        return new ShardWeights(embed, attnNorm, wq, wk, wv, wo, ffnNorm, w1, w3, w2, outNorm, out);
    }
}
