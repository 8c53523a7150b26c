package numatp.server;

import numatp.models.ModelException;
import numatp.models.tokenizer.Tokenizer;
import numatp.models.tp.TpEngine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The router's choice against a naive twin (sort by outstanding work, then index), and on
 * real schedulers: a burst alternates, a loaded replica is passed over, a failed one is
 * skipped, a request its failure ended before any token runs on elsewhere, and when no
 * replica takes a request the client hears why.
 */
@Timeout(60)
class ReplicaRouterTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final int VOCAB = 16;
    private static final TpEngine.Sampling GREEDY = new TpEngine.Sampling(0f, 1f, 0, 1);

    @Test
    void pickMatchesTheNaiveTwinOnSeededCases() {
        long seed = 0x5E1EC7L;
        SplittableRandom random = new SplittableRandom(seed);
        for (int c = 0; c < 20_000; c++) {
            int n = 1 + random.nextInt(8);
            int[] outstanding = new int[n];
            boolean[] serving = new boolean[n];
            int range = 1 + random.nextInt(4); // small ranges: many ties
            for (int i = 0; i < n; i++) {
                outstanding[i] = random.nextInt(range);
                serving[i] = random.nextInt(4) != 0;
            }
            assertEquals(naivePick(outstanding, serving), ReplicaRouter.pick(outstanding, serving),
                    "seed " + seed + ", case " + c + ": " + java.util.Arrays.toString(outstanding) + " "
                            + java.util.Arrays.toString(serving));
        }
    }

    @Test
    void picksTheLeastLoadedServingReplicaAndBreaksTiesTowardsTheLowestIndex() {
        assertEquals(1, ReplicaRouter.pick(new int[] {3, 1, 2}, new boolean[] {true, true, true}));
        assertEquals(0, ReplicaRouter.pick(new int[] {2, 2, 2}, new boolean[] {true, true, true}));
        assertEquals(2, ReplicaRouter.pick(new int[] {0, 0, 5}, new boolean[] {false, false, true}));
        assertEquals(1, ReplicaRouter.pick(new int[] {0, 4, 4}, new boolean[] {false, true, true}));
        assertEquals(-1, ReplicaRouter.pick(new int[] {0, 0}, new boolean[] {false, false}));
    }

    @Test
    void aBurstAlternatesAndALoadedReplicaIsPassedOver() {
        List<Scheduler> schedulers = schedulers(3, 64, new ServeMetrics(List.of()));
        ReplicaRouter router = new ReplicaRouter(schedulers);
        // Not started: submitted requests stay queued, so the outstanding counts are exact.
        for (int i = 0; i < 4; i++) {
            router.replicas().get(1).submit(request(), new PendingGeneration());
        }
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            int[] before = outstanding(schedulers);
            router.submit(request(), new PendingGeneration());
            order.add(changed(before, outstanding(schedulers)));
        }
        // 0 and 2 take turns until they carry replica 1's 4, then all three in turn.
        assertEquals(List.of(0, 2, 0, 2, 0, 2, 0, 2), order);
        router.submit(request(), new PendingGeneration());
        assertEquals(5, schedulers.get(0).outstanding());
        assertEquals(List.of(5, 4, 4), List.of(schedulers.get(0).outstanding(), schedulers.get(1).outstanding(),
                schedulers.get(2).outstanding()));
    }

    @Test
    void aFullQueueSendsTheRequestToTheNextReplicaAndAllFullIs429() {
        List<Scheduler> schedulers = schedulers(2, 1, new ServeMetrics(List.of()));
        ReplicaRouter router = new ReplicaRouter(schedulers);
        schedulers.get(0).submit(request(), new PendingGeneration()); // replica 0's queue is full
        router.submit(request(), new PendingGeneration()); // least outstanding: 1
        assertEquals(1, schedulers.get(1).outstanding());
        ApiException e = assertThrows(ApiException.class, () -> router.submit(request(), new PendingGeneration()));
        assertEquals(429, e.error().status());
        assertEquals(List.of(1, 1), List.of(schedulers.get(0).outstanding(), schedulers.get(1).outstanding()));
    }

    @Test
    void aFailedReplicaIsSkippedAndTheRequestsItsFailureEndedRunElsewhere() throws Exception {
        ServeMetrics metrics = new ServeMetrics(List.of());
        List<GatedEngine> gates = new ArrayList<>();
        List<Scheduler> schedulers = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
            GatedEngine gate = new GatedEngine(new ScriptedEngine(VOCAB, 2, 64, 5, 6, 2));
            gates.add(gate);
            schedulers.add(new Scheduler(gate, tokenizer(), 8, metrics, r));
        }
        ReplicaRouter router = new ReplicaRouter(schedulers);
        schedulers.forEach(Scheduler::start);
        try {
            // Replica 0 takes the first request (a tie) and a third one waits in its queue.
            PendingGeneration first = new PendingGeneration();
            router.submit(request(), first);
            PendingGeneration second = new PendingGeneration();
            router.submit(request(), second);
            PendingGeneration third = new PendingGeneration();
            router.submit(request(), third);
            assertEquals(List.of(2, 1), List.of(schedulers.get(0).outstanding(), schedulers.get(1).outstanding()));
            gates.get(1).open();
            assertEquals(FinishReason.STOP, end(second).reason());

            gates.get(0).breakWith(new ModelException("worker 0 of replica 0 was killed by signal 9 (SIGKILL)"));
            gates.get(0).open();
            // Both of replica 0's requests had no token yet: replica 1 runs them, the clients see no failure.
            PendingGeneration.End a = end(first);
            PendingGeneration.End b = end(third);
            assertEquals(FinishReason.STOP, a.reason(), String.valueOf(a));
            assertEquals(FinishReason.STOP, b.reason(), String.valueOf(b));
            assertEquals(2, a.completionTokens());
            ServeFixture.await("replica 0 failed", WAIT, () -> schedulers.get(0).engineFailed());
            assertFalse(schedulers.get(0).accepting());
            assertTrue(router.serving());

            for (int i = 0; i < 3; i++) {
                PendingGeneration next = new PendingGeneration();
                router.submit(request(), next);
                assertEquals(FinishReason.STOP, end(next).reason());
            }
            assertEquals(0, schedulers.get(0).outstanding());
            ReplicaHealth health = ReplicaHealth.of(router);
            assertEquals("degraded", health.status());
            assertEquals("failed", health.replicas().get(0).status());
            assertEquals(schedulers.get(0).failedErrorId(), health.replicas().get(0).errorId());
            assertEquals("ok", health.replicas().get(1).status());

            gates.get(1).breakWith(new ModelException("replica 1 broke too"));
            // An idle engine that breaks is seen between steps; it cannot recover, so replica 1 fails too.
            ServeFixture.await("replica 1 failed", WAIT, () -> schedulers.get(1).engineFailed());
            ApiException refused = assertThrows(ApiException.class, () -> router.submit(request(),
                    new PendingGeneration()));
            assertEquals(500, refused.error().status());
            assertTrue(refused.getMessage().contains(schedulers.get(0).failedErrorId()), refused.getMessage());
            assertFalse(router.serving());
            assertEquals("unavailable", ReplicaHealth.of(router).status());
        } finally {
            for (int r = 0; r < 2; r++) {
                gates.get(r).open();
                schedulers.get(r).shutdownNow();
                assertTrue(schedulers.get(r).awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS));
            }
        }
    }

    @Test
    void aCancelledRequestIsNotRetried() throws Exception {
        ServeMetrics metrics = new ServeMetrics(List.of());
        List<GatedEngine> gates = new ArrayList<>();
        List<Scheduler> schedulers = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
            GatedEngine gate = new GatedEngine(new ScriptedEngine(VOCAB, 2, 64, 5, 6, 2));
            gates.add(gate);
            schedulers.add(new Scheduler(gate, tokenizer(), 8, metrics, r));
        }
        ReplicaRouter router = new ReplicaRouter(schedulers);
        schedulers.forEach(Scheduler::start);
        try {
            PendingGeneration pending = new PendingGeneration();
            Generation g = router.submit(request(), pending);
            ServeFixture.await("in its slot", WAIT, () -> schedulers.get(0).running() == 1);
            g.cancel();
            gates.get(0).open();
            assertEquals(FinishReason.CANCELLED, end(pending).reason());
            assertEquals(0, schedulers.get(1).outstanding() + schedulers.get(0).outstanding());
        } finally {
            for (int r = 0; r < 2; r++) {
                gates.get(r).open();
                schedulers.get(r).shutdownNow();
                assertTrue(schedulers.get(r).awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS));
            }
        }
    }

    @Test
    void replicasMustBeIndexedInOrder() {
        ServeMetrics metrics = new ServeMetrics(List.of());
        Scheduler zero = new Scheduler(new ScriptedEngine(VOCAB, 2, 64, 2), tokenizer(), 4, metrics, 0);
        assertThrows(ServeException.class, () -> new ReplicaRouter(List.of()));
        assertThrows(IllegalStateException.class, () -> new Scheduler(new ScriptedEngine(VOCAB, 2, 64, 2),
                tokenizer(), 4, metrics, 2));
        assertEquals(1, new ReplicaRouter(List.of(zero)).replicas().size());
    }

    private static int naivePick(int[] outstanding, boolean[] serving) {
        List<Integer> candidates = new ArrayList<>();
        for (int i = 0; i < outstanding.length; i++) {
            if (serving[i]) {
                candidates.add(i);
            }
        }
        candidates.sort((a, b) -> outstanding[a] != outstanding[b] ? Integer.compare(outstanding[a], outstanding[b])
                : Integer.compare(a, b));
        return candidates.isEmpty() ? -1 : candidates.getFirst();
    }

    private static List<Scheduler> schedulers(int n, int maxQueue, ServeMetrics metrics) {
        List<Scheduler> out = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            out.add(new Scheduler(new ScriptedEngine(VOCAB, 2, 64, 5, 2), tokenizer(), maxQueue, metrics, r));
        }
        return out;
    }

    private static int[] outstanding(List<Scheduler> schedulers) {
        return schedulers.stream().mapToInt(Scheduler::outstanding).toArray();
    }

    private static int changed(int[] before, int[] after) {
        for (int i = 0; i < before.length; i++) {
            if (after[i] != before[i]) {
                return i;
            }
        }
        return -1;
    }

    private static GenerationRequest request() {
        return new GenerationRequest(new int[] {Tokenizer.BOS, 7}, 8, GREEDY, List.of());
    }

    /** Sixteen one-letter pieces, EOS = 2. */
    private static Tokenizer tokenizer() {
        byte[][] pieces = new byte[VOCAB][];
        for (int i = 0; i < VOCAB; i++) {
            pieces[i] = new byte[] {(byte) ('a' + i)};
        }
        return new Tokenizer(pieces, new float[VOCAB]);
    }

    /** Waits for the sequence's end (text events before it are dropped). */
    private static PendingGeneration.End end(PendingGeneration pending) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        List<PendingGeneration.Event> events = new ArrayList<>();
        while (System.nanoTime() < deadline) {
            pending.takeAll(events);
            for (PendingGeneration.Event e : events) {
                if (e instanceof PendingGeneration.End end) {
                    return end;
                }
            }
            events.clear();
        }
        throw new AssertionError("no end within " + WAIT);
    }
}
