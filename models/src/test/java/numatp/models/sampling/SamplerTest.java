package numatp.models.sampling;

import numatp.models.ModelException;
import numatp.models.tp.TpEngine;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SamplerTest {
    @Test
    void greedyPicksFirstMaximum() {
        Sampler s = new Sampler(4, 0f, 0.9f, 0, 1);
        assertEquals(1, s.sample(new float[] {0f, 3f, 3f, -1f}));
    }

    @Test
    void xorshiftMatchesRunCFormula() {
        Sampler s = new Sampler(2, 1f, 0f, 0, 42);
        // run.c random_u32 with state 42, computed by hand with unsigned 64-bit arithmetic.
        long state = 42;
        state ^= state >>> 12;
        state ^= state << 25;
        state ^= state >>> 27;
        long expected = new java.math.BigInteger(Long.toUnsignedString(state))
                .multiply(new java.math.BigInteger("2545F4914F6CDD1D", 16))
                .mod(java.math.BigInteger.ONE.shiftLeft(64)).shiftRight(32).longValueExact();
        assertEquals(expected, s.nextU32());
    }

    @Test
    void sameSeedSameTokensAndFrequenciesFollowProbabilities() {
        long seed = new SplittableRandom().nextLong() | 1;
        System.out.println("SamplerTest seed=" + seed);
        float[] logits = {0f, (float) Math.log(2), (float) Math.log(3), (float) Math.log(4)}; // p = .1 .2 .3 .4
        Sampler a = new Sampler(4, 1f, 0f, 0, seed);
        Sampler b = new Sampler(4, 1f, 0f, 0, seed);
        int[] counts = new int[4];
        int n = 20_000;
        for (int i = 0; i < n; i++) {
            int ta = a.sample(logits.clone());
            assertEquals(ta, b.sample(logits.clone()));
            counts[ta]++;
        }
        for (int k = 0; k < 4; k++) {
            assertEquals((k + 1) / 10.0, counts[k] / (double) n, 0.02, "token " + k + " seed " + seed);
        }
    }

    @Test
    void topPAndTopKKeepOnlyTheMostLikely() {
        float[] logits = {0f, 0f, 5f, 0f};
        Sampler topP = new Sampler(4, 1f, 0.5f, 0, 7);
        Sampler topK = new Sampler(4, 1f, 0f, 1, 7);
        for (int i = 0; i < 100; i++) {
            assertEquals(2, topP.sample(logits.clone()));
            assertEquals(2, topK.sample(logits.clone()));
        }
    }

    /**
     * Top-p against a plainly written twin: the candidates at or above the cutoff fully
     * sorted (probability descending, then id ascending), the nucleus by cumulative
     * probability, the pick by the same coin. Logits drawn from a few values, so ties are common.
     */
    @Test
    void topPPicksWhatAFullSortPicks() {
        long seed = new SplittableRandom().nextLong() | 1;
        System.out.println("SamplerTest topP seed=" + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int trial = 0; trial < 2_000; trial++) {
            int vocab = 2 + rnd.nextInt(600);
            float topP = trial % 10 == 0 ? 0.001f : 0.05f + 0.94f * (float) rnd.nextDouble();
            float temperature = 0.5f + (float) rnd.nextDouble();
            long samplerSeed = rnd.nextLong() | 1;
            float[] logits = new float[vocab];
            int levels = 1 + rnd.nextInt(8);
            for (int i = 0; i < vocab; i++) {
                logits[i] = rnd.nextInt(levels) * 0.75f;
            }
            Sampler sampler = new Sampler(vocab, temperature, topP, 0, samplerSeed);
            Sampler coins = new Sampler(vocab, temperature, topP, 0, samplerSeed);
            for (int draw = 0; draw < 3; draw++) {
                float[] p = logits.clone();
                for (int i = 0; i < vocab; i++) {
                    p[i] /= temperature;
                }
                numatp.models.kernels.Ops.softmax(p, 0, vocab);
                int expected = naiveTopP(p, topP, coins.nextF32());
                assertEquals(expected, sampler.sample(logits.clone()),
                        "seed " + seed + " trial " + trial + " vocab " + vocab + " topP " + topP);
            }
        }
    }

    private static int naiveTopP(float[] p, float topP, float coin) {
        float cutoff = (1.0f - topP) / (p.length - 1);
        java.util.List<Integer> ids = new java.util.ArrayList<>();
        for (int i = 0; i < p.length; i++) {
            if (p[i] >= cutoff) {
                ids.add(i);
            }
        }
        if (ids.isEmpty()) {
            return Sampler.argmax(p, p.length);
        }
        ids.sort((a, b) -> p[a] != p[b] ? Float.compare(p[b], p[a]) : Integer.compare(a, b));
        float cumulative = 0f;
        int last = ids.size() - 1;
        for (int i = 0; i < ids.size(); i++) {
            cumulative += p[ids.get(i)];
            if (cumulative > topP) {
                last = i;
                break;
            }
        }
        float r = coin * cumulative;
        float cdf = 0f;
        for (int i = 0; i <= last; i++) {
            cdf += p[ids.get(i)];
            if (r < cdf) {
                return ids.get(i);
            }
        }
        return ids.get(last);
    }

    @Test
    void rejectsBadSettingsNamingTheFlag() {
        ModelException e = assertThrows(ModelException.class, () -> new Sampler(4, -1f, 0.9f, 0, 1));
        assertTrue(e.getMessage().contains("--temperature"));
        assertThrows(ModelException.class, () -> new Sampler(4, 1f, 1.5f, 0, 1));
    }

    @Test
    void engineSamplingSettingsAreCheckedWhenBuiltAsTheSamplerChecksThem() {
        assertEquals("--temperature must be >= 0: -3.0", assertThrows(ModelException.class,
                () -> new TpEngine.Sampling(-3f, 0.9f, 0, 1)).getMessage());
        assertEquals("--top-p must be in [0, 1]: 1.7", assertThrows(ModelException.class,
                () -> new TpEngine.Sampling(1f, 1.7f, 0, 1)).getMessage());
        assertEquals("--top-k must be >= 0: -1", assertThrows(ModelException.class,
                () -> new TpEngine.Sampling(1f, 0.9f, -1, 1)).getMessage());
        assertThrows(ModelException.class, () -> new TpEngine.Sampling(Float.NaN, 0.9f, 0, 1));
        assertThrows(ModelException.class, () -> new TpEngine.Sampling(1f, 0.9f, 0, 1).withSeed(0));
        assertEquals(7, new TpEngine.Sampling(0f, 0.9f, 0, 1).withSeed(7).seed());
    }
}
