package numatp.models.tp;

import numatp.models.LlamaConfig;
import numatp.models.RandomModels;
import numatp.models.ReferenceLlama;
import numatp.weights.ArenaSliceAllocator;
import numatp.weights.ModelTensors;
import numatp.weights.TensorType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@link Reduction#EXACT}: on seeded random models of every tensor type, every shard count
 * from 1 to the head count (uneven heads, more shards than KV heads, K-quant heads that cut
 * blocks, shards without hidden units) gives bitwise the logits of one shard, for a batch
 * step and for single steps, and those are within the f32 tolerance of the naive reference;
 * and the limb arithmetic is exact under any grouping.
 */
@Timeout(120)
class ExactReductionTest {
    private static final int POSITIONS = 4;

    @ParameterizedTest
    @EnumSource(TensorType.class)
    void everyShardCountGivesTheLogitsOfOneShard(TensorType type) {
        long seed = new SplittableRandom().nextLong();
        System.out.println("ExactReductionTest " + type + " seed=" + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        LlamaConfig[] shapes = type.blockElements() > 32
                ? new LlamaConfig[] {new LlamaConfig(512, 768, 1, 4, 2, 33, 8, 10000f, 1e-5f),
                        new LlamaConfig(256, 512, 1, 8, 2, 40, 8, 10000f, 1e-5f)}
                : new LlamaConfig[] {new LlamaConfig(64, 96, 2, 8, 4, 67, 8, 10000f, 1e-5f),
                        new LlamaConfig(96, 160, 1, 6, 2, 50, 8, 10000f, 1e-5f)};
        for (LlamaConfig c : shapes) {
            ModelTensors m = RandomModels.create(c, type, rnd.nextLong());
            ReferenceLlama ref = new ReferenceLlama(m);
            int[] tokens = new int[POSITIONS];
            float[][] expected = new float[POSITIONS][];
            for (int p = 0; p < POSITIONS; p++) {
                tokens[p] = rnd.nextInt(c.vocabSize());
                expected[p] = ref.forward(tokens[p], p);
            }
            float[][] one = run(m, c, 1, tokens, false);
            assertWithinReference(one, expected, type + " " + c + " seed=" + seed);
            assertArrayEquals(one, run(m, c, 1, tokens, true), type + " " + c + ": one batch step vs single steps");
            for (int shards = 2; shards <= c.heads(); shards++) {
                String what = type + " " + c + " shards=" + shards + " seed=" + seed;
                assertArrayEquals(one, run(m, c, shards, tokens, shards % 2 == 0), what);
            }
        }
    }

    /** Logits at each position, the tokens fed as one batch step or one step each. */
    private static float[][] run(ModelTensors m, LlamaConfig c, int shards, int[] tokens, boolean batch) {
        int n = tokens.length;
        float[][] out = new float[n][c.vocabSize()];
        try (Arena arena = Arena.ofShared();
             TpEngine engine = new TpEngine(m, shards, new TpEngine.Capacity(1, c.contextLength(), n),
                     new ArenaSliceAllocator(arena), null, Reduction.EXACT)) {
            if (batch) {
                int[] positions = new int[n];
                for (int p = 0; p < n; p++) {
                    positions[p] = p;
                }
                engine.step(n, tokens, new int[n], positions, out);
            } else {
                for (int p = 0; p < n; p++) {
                    engine.step(1, new int[] {tokens[p]}, new int[] {0}, new int[] {p}, new float[][] {out[p]});
                }
            }
        }
        return out;
    }

    private static void assertWithinReference(float[][] got, float[][] expected, String what) {
        for (int p = 0; p < got.length; p++) {
            float max = 0f;
            for (float v : expected[p]) {
                max = Math.max(max, Math.abs(v));
            }
            float tol = 2e-4f * max + 1e-5f;
            for (int i = 0; i < got[p].length; i++) {
                if (!(Math.abs(got[p][i] - expected[p][i]) <= tol)) {
                    fail(what + ": pos " + p + " logit " + i + ": " + got[p][i] + " vs " + expected[p][i]);
                }
            }
        }
    }

    @Test
    void limbSumsAreExactUnderAnyGrouping() {
        long seed = new SplittableRandom().nextLong();
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int trial = 0; trial < 2000; trial++) {
            int ranks = 1 + rnd.nextInt(ExactSums.MAX_RANKS);
            long total = 0;
            float[] high = new float[ranks];
            float[] middle = new float[ranks];
            float[] low = new float[ranks];
            for (int r = 0; r < ranks; r++) {
                // rank totals up to 2^21 / ranks in magnitude, as sums of unit values would be
                float v = (float) ((rnd.nextDouble() * 2 - 1) * Math.scalb(1.0, rnd.nextInt(-30, 21)) / ranks);
                long n = ExactSums.fixed(v);
                total += n;
                high[r] = ExactSums.high(n);
                middle[r] = ExactSums.middle(n);
                low[r] = ExactSums.low(n, 0f);
            }
            // f32 sums in a random order, as any allreduce tree would add them
            int[] order = shuffled(ranks, rnd);
            float h = 0;
            float m = 0;
            float l = 0;
            for (int r : order) {
                h += high[r];
                m += middle[r];
                l += low[r];
            }
            assertEquals(ExactSums.value(total, 0f), ExactSums.value(h, m, l), "seed=" + seed + " trial " + trial);
        }
    }

    @Test
    void unusableUnitValuesGiveNaNOnOneShardAndThroughTheLimbs() {
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0x1p24f, -3e30f}) {
            float poison = ExactSums.poison(1.5f) + ExactSums.poison(bad);
            long n = ExactSums.fixed(1.5f) + ExactSums.fixed(bad);
            assertTrue(Float.isNaN(ExactSums.value(n, poison)), "one shard, " + bad);
            float low = ExactSums.low(n, poison) + ExactSums.low(ExactSums.fixed(2f), 0f);
            assertTrue(Float.isNaN(ExactSums.value(ExactSums.high(n), ExactSums.middle(n), low)), "limbs, " + bad);
        }
        assertEquals(0f, ExactSums.poison(-0x1p23f));
        assertEquals(-2.25f, ExactSums.value(ExactSums.fixed(-2.25f), 0f));
        assertEquals(0x1p-32f, ExactSums.value(ExactSums.fixed(0x1p-32f), 0f));
    }

    private static int[] shuffled(int n, SplittableRandom rnd) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
        return a;
    }
}
