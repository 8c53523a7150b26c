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
