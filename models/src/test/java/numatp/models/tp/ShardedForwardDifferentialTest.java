package numatp.models.tp;

import numatp.models.LlamaConfig;
import numatp.models.RandomModels;
import numatp.models.ReferenceLlama;
import numatp.weights.ArenaSliceAllocator;
import numatp.weights.ModelTensors;
import numatp.weights.TensorType;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Sharded forward vs the naive single-shard reference on seeded random models of
 * every tensor type and awkward shapes (uneven heads, GQA, MQA, shards > KV heads; for
 * the 256-element K-quants, widths of whole blocks and block-aligned shard counts).
 * Both read identical dequantised weights, so only f32 summation order differs:
 * tolerance |got - ref| <= 2e-4 * max|ref| + 1e-5 per logit.
 */
class ShardedForwardDifferentialTest {
    private static final int POSITIONS = 5;

    @ParameterizedTest
    @EnumSource(TensorType.class)
    @Timeout(120)
    void shardedLogitsMatchNaiveReference(TensorType type) {
        long seed = new SplittableRandom().nextLong();
        System.out.println("ShardedForwardDifferentialTest " + type + " seed=" + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        boolean superBlocks = type.blockElements() > 32;
        LlamaConfig[] shapes = superBlocks ? SUPER_BLOCK_SHAPES : new LlamaConfig[] {
                new LlamaConfig(64, 96, 2, 8, 4, 67, 8, 10000f, 1e-5f),
                new LlamaConfig(96, 160, 1, 6, 2, 50, 8, 10000f, 1e-5f),
                new LlamaConfig(64, 64, 1, 4, 1, 33, 8, 10000f, 1e-5f),
        };
        // K-quant column splits must fall on 256-element blocks: on these shapes 1 and 2 shards do.
        int[] shardCounts = superBlocks ? new int[] {1, 2} : new int[] {1, 2, 3, 5, 8};
        for (LlamaConfig c : shapes) {
            ModelTensors m = RandomModels.create(c, type, rnd.nextLong());
            ReferenceLlama ref = new ReferenceLlama(m);
            int[] tokens = new int[POSITIONS];
            float[][] expected = new float[POSITIONS][];
            for (int p = 0; p < POSITIONS; p++) {
                tokens[p] = rnd.nextInt(c.vocabSize());
                expected[p] = ref.forward(tokens[p], p);
            }
            for (int shards : shardCounts) {
                if (shards > c.heads()) {
                    continue;
                }
                check(m, c, shards, tokens, expected, type + " " + c + " shards=" + shards + " seed=" + seed);
            }
        }
    }

    /** Widths in whole 256-element blocks, and heads whose 2-shard splits give whole blocks of attn_output columns. */
    private static final LlamaConfig[] SUPER_BLOCK_SHAPES = {
            new LlamaConfig(512, 512, 1, 4, 2, 33, 8, 10000f, 1e-5f),
            new LlamaConfig(512, 768, 2, 8, 2, 50, 8, 10000f, 1e-5f),
    };

    /**
     * Head splits that cut attn_output's 256-element blocks (4 shards of 4 heads of 128: 128
     * columns each) dequantise those slices to F32 and still match the reference; the hidden
     * split keeps whole blocks even when a shard gets none (768 = 3 blocks over 4 shards).
     */
    @ParameterizedTest
    @EnumSource(value = TensorType.class, names = {"Q4_K", "Q6_K"})
    @Timeout(120)
    void kQuantSplitsThatCutBlocksStillMatchTheReference(TensorType type) {
        long seed = new SplittableRandom().nextLong();
        System.out.println("ShardedForwardDifferentialTest cut blocks " + type + " seed=" + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        for (LlamaConfig c : SUPER_BLOCK_SHAPES) {
            ModelTensors m = RandomModels.create(c, type, rnd.nextLong());
            ReferenceLlama ref = new ReferenceLlama(m);
            int[] tokens = new int[POSITIONS];
            float[][] expected = new float[POSITIONS][];
            for (int p = 0; p < POSITIONS; p++) {
                tokens[p] = rnd.nextInt(c.vocabSize());
                expected[p] = ref.forward(tokens[p], p);
            }
            for (int shards : new int[] {3, 4}) {
                check(m, c, shards, tokens, expected, type + " " + c + " shards=" + shards + " seed=" + seed);
            }
        }
    }

    private static void check(ModelTensors m, LlamaConfig c, int shards, int[] tokens, float[][] expected,
                              String what) {
        try (Arena arena = Arena.ofShared();
             TpEngine engine = new TpEngine(m, shards, c.contextLength(), new ArenaSliceAllocator(arena), null)) {
            float[][] out = new float[1][c.vocabSize()];
            for (int p = 0; p < tokens.length; p++) {
                engine.step(1, new int[] {tokens[p]}, new int[] {0}, new int[] {p}, out);
                float max = 0f;
                for (float v : expected[p]) {
                    max = Math.max(max, Math.abs(v));
                }
                float tol = 2e-4f * max + 1e-5f;
                for (int i = 0; i < c.vocabSize(); i++) {
                    float diff = Math.abs(out[0][i] - expected[p][i]);
                    if (!(diff <= tol)) {
                        fail(what + ": pos " + p + " logit " + i + ": " + out[0][i] + " vs " + expected[p][i]
                                + " (tol " + tol + ")");
                    }
                }
            }
        }
    }
}
