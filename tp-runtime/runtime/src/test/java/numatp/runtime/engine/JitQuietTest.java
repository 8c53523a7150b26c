package numatp.runtime.engine;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Driven by a fake clock and a fake JIT counter: no waiting. */
class JitQuietTest {
    private long nowNs;
    private long compiledMillis;

    private JitQuiet quiet(double minSeconds, double maxSeconds) {
        return new JitQuiet(minSeconds, maxSeconds, () -> nowNs, () -> compiledMillis);
    }

    @Test
    void settlesOnlyAfterTheMinimumAndHalfASecondWithoutCompiling() {
        JitQuiet q = quiet(3, 20);
        nowNs = 1_000_000_000L;
        assertFalse(q.reached(), "before the minimum");
        nowNs = 3_000_000_000L;
        compiledMillis = 40; // the JIT worked since the last look
        assertFalse(q.reached(), "compiling");
        nowNs = 3_400_000_000L;
        assertFalse(q.reached(), "quiet for 0.4 s only");
        nowNs = 3_500_000_000L;
        assertTrue(q.settled() && q.reached(), "quiet for 0.5 s after the minimum");
        assertFalse(q.expired());
    }

    @Test
    void aJitThatNeverStopsEndsAtTheMaximum() {
        JitQuiet q = quiet(0, 1);
        for (nowNs = 0; nowNs < 1_000_000_000L; nowNs += 100_000_000L) {
            compiledMillis++;
            assertFalse(q.reached(), "at " + nowNs + " ns");
        }
        assertTrue(q.expired() && q.reached());
        assertFalse(q.settled());
    }

    @Test
    void withoutJitTimingTheMinimumDecides() {
        JitQuiet q = new JitQuiet(2, 10, () -> nowNs, null);
        nowNs = 1_999_999_999L;
        assertFalse(q.reached());
        nowNs = 2_000_000_000L;
        assertTrue(q.settled());
    }
}
