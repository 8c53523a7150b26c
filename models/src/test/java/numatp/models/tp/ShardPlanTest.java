package numatp.models.tp;

import numatp.models.LlamaConfig;
import numatp.models.ModelException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ShardPlanTest {
    static final LlamaConfig STORIES = new LlamaConfig(64, 172, 5, 8, 4, 512, 512, 10000f, 1e-5f);

    @Test
    void splitsUnevenHiddenSizeAcrossEightShards() {
        ShardPlan p = new ShardPlan(STORIES, 8, 1);
        int[] expected = {22, 22, 22, 22, 21, 21, 21, 21};
        for (int s = 0; s < 8; s++) {
            assertEquals(expected[s], p.hidden().size(s));
            assertEquals(1, p.queryHeads().size(s));
            // Eight shards, four KV heads: each KV head replicated to the two shards whose query heads use it.
            assertEquals(s / 2, p.kvStart(s));
            assertEquals(1, p.kvCount(s));
            assertEquals(64, p.vocab().size(s));
        }
    }

    @Test
    void threeShardsSplitKvHeadsAndTakeTheirQueryHeads() {
        ShardPlan p = new ShardPlan(STORIES, 3, 1);
        assertEquals("Split[4, 2, 2]", p.queryHeads().toString());
        assertEquals(0, p.kvStart(0));
        assertEquals(2, p.kvCount(0));
        assertEquals(2, p.kvStart(1));
        assertEquals(3, p.kvStart(2));
        assertEquals("Split[58, 57, 57]", p.hidden().toString());
        assertEquals("Split[171, 171, 170]", p.vocab().toString());
    }

    @Test
    void unevenQueryHeadsReplicateSharedKvHeads() {
        LlamaConfig c = new LlamaConfig(96, 64, 1, 6, 2, 10, 4, 10000f, 1e-5f);
        ShardPlan p = new ShardPlan(c, 4, 1); // q heads 2,2,1,1 over kv groups {0,1,2},{3,4,5}
        assertEquals("Split[2, 2, 1, 1]", p.queryHeads().toString());
        assertEquals(0, p.kvStart(0));
        assertEquals(1, p.kvCount(0));
        assertEquals(0, p.kvStart(1));
        assertEquals(2, p.kvCount(1)); // heads 2 and 3 use KV heads 0 and 1
        assertEquals(1, p.kvStart(2));
    }

    @Test
    void hiddenSplitKeepsQuantBlocksWhole() {
        LlamaConfig c = new LlamaConfig(64, 160, 1, 8, 8, 10, 4, 10000f, 1e-5f);
        ShardPlan p = new ShardPlan(c, 3, 32);
        for (int s = 0; s < 3; s++) {
            assertEquals(0, p.hidden().start(s) % 32);
        }
        assertEquals(160, p.hidden().total());
    }

    @Test
    void rejectsMoreShardsThanQueryHeads() {
        ModelException e = assertThrows(ModelException.class, () -> new ShardPlan(STORIES, 9, 1));
        assertTrue(e.getMessage().contains("--shards must be in [1, 8]"), e.getMessage());
    }
}
