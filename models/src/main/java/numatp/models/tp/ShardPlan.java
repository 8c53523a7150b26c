package numatp.models.tp;

import numatp.models.LlamaConfig;
import numatp.models.ModelException;
import numatp.weights.Split;

/**
 * Which part of a Llama model each of {@code shards} tensor-parallel shards owns,
 * computed once here and nowhere else.
 * <ul>
 * <li>Query heads: when shards &le; KV heads, the KV heads are split (near-evenly) and
 *     each shard takes the query heads of its KV heads; otherwise the query heads are
 *     split and each shard holds (replicates) the KV heads its query heads use.</li>
 * <li>MLP hidden units (rows of gate/up, columns of down): near-even in units of
 *     {@code hiddenGranule} (the quantisation block of down, so columns stay whole blocks),
 *     even when that leaves a shard none (3 blocks over 4 shards: 1, 1, 1, 0).</li>
 * <li>Vocabulary rows of the output head: near-even.</li>
 * </ul>
 */
public final class ShardPlan {
    private final LlamaConfig config;
    private final int shards;
    private final Split queryHeads;
    private final int[] kvStart; // [shards] first KV head a shard holds
    private final int[] kvCount; // [shards] KV heads a shard holds (replicated when shards > kvHeads)
    private final Split hidden;
    private final Split vocab;

    public ShardPlan(LlamaConfig config, int shards, int hiddenGranule) {
        if (shards < 1 || shards > config.heads()) {
            throw new ModelException("--shards must be in [1, " + config.heads() + "] (the model's query heads): "
                    + shards);
        }
        this.config = config;
        this.shards = shards;
        int kvMul = config.kvMul();
        kvStart = new int[shards];
        kvCount = new int[shards];
        if (shards <= config.kvHeads()) {
            Split kv = Split.even(config.kvHeads(), shards);
            int[] q = new int[shards + 1];
            for (int s = 0; s < shards; s++) {
                kvStart[s] = kv.start(s);
                kvCount[s] = kv.size(s);
                q[s + 1] = (kv.start(s) + kv.size(s)) * kvMul;
            }
            queryHeads = Split.of(q);
        } else {
            queryHeads = Split.even(config.heads(), shards);
            for (int s = 0; s < shards; s++) {
                int first = queryHeads.start(s) / kvMul;
                int last = (queryHeads.start(s) + queryHeads.size(s) - 1) / kvMul;
                kvStart[s] = first;
                kvCount[s] = last - first + 1;
            }
        }
        // Whole blocks of down's columns even when there are fewer blocks than shards: a shard may then
        // own no hidden unit (its gate/up/down slices are empty and it adds zeros to the allreduce),
        // which beats cutting a block (K-quant blocks cannot be cut without dequantising).
        int granule = config.hiddenDim() % hiddenGranule == 0 ? hiddenGranule : 1;
        hidden = granule == 1 ? Split.even(config.hiddenDim(), shards)
                : Split.granular(config.hiddenDim(), shards, granule);
        vocab = Split.even(config.vocabSize(), shards);
        validate();
    }

    private void validate() {
        for (int s = 0; s < shards; s++) {
            if (queryHeads.size(s) == 0) {
                throw new ModelException("shard " + s + " of " + shards + " owns no query head: " + queryHeads);
            }
            int firstHead = queryHeads.start(s);
            int lastHead = firstHead + queryHeads.size(s) - 1;
            if (firstHead / config.kvMul() < kvStart[s] || lastHead / config.kvMul() >= kvStart[s] + kvCount[s]) {
                throw new IllegalStateException("shard " + s + " lacks a KV head its query heads use");
            }
        }
        if (queryHeads.total() != config.heads() || hidden.total() != config.hiddenDim()
                || vocab.total() != config.vocabSize()) {
            throw new IllegalStateException("split totals disagree with the model: " + this);
        }
    }

    public LlamaConfig config() {
        return config;
    }

    public int shards() {
        return shards;
    }

    public Split queryHeads() {
        return queryHeads;
    }

    public int kvStart(int shard) {
        return kvStart[shard];
    }

    public int kvCount(int shard) {
        return kvCount[shard];
    }

    public Split hidden() {
        return hidden;
    }

    public Split vocab() {
        return vocab;
    }

    @Override
    public String toString() {
        StringBuilder kv = new StringBuilder();
        for (int s = 0; s < shards; s++) {
            kv.append(s == 0 ? "" : ", ").append(kvStart[s]).append('+').append(kvCount[s]);
        }
        return "ShardPlan[shards=" + shards + ", q heads " + queryHeads + ", kv heads [" + kv + "], hidden "
                + hidden + ", vocab " + vocab + "]";
    }
}
