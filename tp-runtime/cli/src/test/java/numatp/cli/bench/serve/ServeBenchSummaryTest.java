package numatp.cli.bench.serve;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ServeBenchSummaryTest {
    private static final long MS = 1_000_000L;

    /** Two streamed successes (one sending two tokens per chunk) and a 429, over 250 ms. */
    private static ServeBenchSummary run() {
        RequestResult chunky = new RequestResult(null, null, 0, 100 * MS, 20 * MS, new long[] {30 * MS, 50 * MS}, 10, 6,
                true);
        RequestResult slow = new RequestResult(null, null, 0, 200 * MS, 40 * MS, new long[] {160 * MS}, 10, 2, true);
        RequestResult refused = RequestResult.failed("HTTP 429", "queue full", 0, MS);
        return ServeBenchSummary.of(List.of(chunky, refused, slow), 250 * MS);
    }

    @Test
    void ratesCountOnlySuccessesOverTheWholeDuration() {
        ServeBenchSummary s = run();
        assertEquals(3, s.requests());
        assertEquals(2, s.ok());
        assertEquals(1, s.failed());
        assertEquals(1, s.rateLimited());
        assertEquals(Map.of("HTTP 429", 1), s.errors());
        assertEquals(8.0, s.requestsPerS(), 1e-9);
        assertEquals(8 / 0.25, s.outputTokensPerS(), 1e-9);
        assertEquals((8 + 20) / 0.25, s.totalTokensPerS(), 1e-9);
        assertEquals(10.0, s.promptTokensAvg(), 1e-12);
        assertEquals(4.0, s.outputTokensAvg(), 1e-12);
        assertEquals(8 / 5.0, s.outputTokensPerChunk(), 1e-12, "8 tokens in 3 + 2 text chunks");
    }

    @Test
    void latenciesPoolSuccessfulRequestsOnly() {
        ServeBenchSummary s = run();
        assertEquals(2, s.latencyMs().count(), "the 1 ms 429 is not a latency");
        assertEquals(150.0, s.latencyMs().p50(), 1e-9);
        assertEquals(30.0, s.ttftMs().mean(), 1e-9);
        assertEquals(3, s.itlMs().count());
        assertEquals(50.0, s.itlMs().p50(), 1e-9);
        assertEquals(130.0, s.itlMs().range(), 1e-9);
        assertEquals((16.0 + 160.0) / 2, s.tpotMs().mean(), 1e-9, "(100-20)/5 and (200-40)/1");
    }

    @Test
    void jsonMetricsUseTheStableKeysAndNullForWhatWasNotMeasured() {
        Map<String, Object> m = Metric.toJson(run());
        assertEquals(2L, m.get("requestsOk"));
        assertEquals(30.0, (Double) m.get("ttftAvgMs"), 1e-9);
        assertEquals(130.0, (Double) m.get("itlMaxMinusMinMs"), 1e-9);
        assertEquals(false, m.get("itlMaxMinusMinWithin1Ms"));
        assertTrue(m.keySet().stream().allMatch(k -> k.matches("[a-z][A-Za-z0-9]*")), m.keySet().toString());

        ServeBenchSummary notStreamed = ServeBenchSummary.of(
                List.of(new RequestResult(null, null, 0, 80 * MS, -1, new long[0], -1, -1, false)), 100 * MS);
        Map<String, Object> n = Metric.toJson(notStreamed);
        assertNull(n.get("ttftP50Ms"));
        assertNull(n.get("itlStddevMs"));
        assertNull(n.get("itlStddevWithin1Ms"));
        assertNull(n.get("outputTokensPerS"), "no usage and no stream: output tokens unknown");
        assertEquals(80.0, (Double) n.get("latencyP99Ms"), 1e-9);
    }
}
