package numatp.runtime.hosts;

import numatp.models.tp.EngineUnavailableException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Rank 0's steps on their own thread: each run runs the step once and rethrows its failure; a
 * step that never returns (a collective whose peer died) is given up by {@code abandon} from
 * another thread, and every later run throws the same loss at once.
 */
@Timeout(30)
class AbandonableStepTest {
    @Test
    void runsTheStepOnItsThreadOncePerRunAndRethrowsItsFailure() {
        AtomicInteger runs = new AtomicInteger();
        IllegalStateException injected = new IllegalStateException("injected");
        Thread caller = Thread.currentThread();
        try (AbandonableStep step = new AbandonableStep("test-step", () -> {
            assertTrue(Thread.currentThread() != caller, "on the step thread");
            if (runs.incrementAndGet() == 3) {
                throw injected;
            }
        })) {
            step.run();
            step.run();
            assertSame(injected, assertThrows(IllegalStateException.class, step::run));
            step.run();
            assertEquals(4, runs.get());
            assertFalse(step.stepInFlight());
        }
    }

    @Test
    void aStuckStepIsGivenUpAndLaterRunsThrowTheSameLoss() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch never = new CountDownLatch(1);
        try (AbandonableStep step = new AbandonableStep("test-step", () -> {
            entered.countDown();
            try {
                never.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        })) {
            String detail = "world rank 1 (host b, pid 7) died";
            Thread.ofPlatform().start(() -> {
                try {
                    entered.await();
                } catch (InterruptedException e) {
                    return;
                }
                step.abandon(detail);
                step.abandon("a later loss");
            });
            EngineUnavailableException e = assertThrows(EngineUnavailableException.class, step::run);
            assertEquals(detail, e.getMessage());
            assertTrue(step.stepInFlight(), "the stuck step is still on its thread");
            assertEquals(detail, assertThrows(EngineUnavailableException.class, step::run).getMessage());
            never.countDown();
        }
    }
}
