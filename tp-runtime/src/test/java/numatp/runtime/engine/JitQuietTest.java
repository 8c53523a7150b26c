package numatp.runtime.engine;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JitQuietTest {
    @Test
    void notBeforeTheMinimumTime() {
        assertFalse(new JitQuiet(60, 120).reached());
    }

    @Test
    @Timeout(30)
    void reachedAtTheLatestAtTheMaximumTime() throws InterruptedException {
        JitQuiet quiet = new JitQuiet(0, 1);
        long start = System.nanoTime();
        while (!quiet.reached()) {
            Thread.sleep(10);
        }
        assertTrue(System.nanoTime() - start < 5_000_000_000L);
    }
}
