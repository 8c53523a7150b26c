package numatp.cli.bench.serve;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End to end against {@link FakeOpenAiServer}. Delays are known, so measured times
 * have hard lower bounds (a token cannot arrive before it is sent); the upper
 * tolerance is generous because the development machines are shared and busy.
 */
@Timeout(60)
class ServeBenchTest {
    /** Slack over a known delay that scheduling on a loaded 2-core machine may add. */
    private static final double SLACK_MS = 150;

    private FakeOpenAiServer server;

    @BeforeEach
    void start() throws IOException {
        server = new FakeOpenAiServer();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private ServeBenchConfig config(int requests, int concurrency, Endpoint endpoint, boolean stream, int warmup) {
        return new ServeBenchConfig(server.url(), requests, concurrency, 16, 8, endpoint, stream, 7, warmup, 0,
                20_000, null, "test");
    }

    private static ServeBenchSummary summary(ServeBenchRun run) {
        return ServeBenchSummary.of(run.results(), run.durationNs());
    }

    @Test
    void measuresKnownTtftAndInterTokenDelays() throws Exception {
        server.ttftMs = 40;
        server.itlMs = 20;
        server.tokens = 6;
        ServeBenchRun run = ServeBench.run(config(8, 2, Endpoint.COMPLETIONS, true, 1), null);
        ServeBenchSummary s = summary(run);
        assertEquals(8, s.ok(), ServeBench.errorSummary(run.results()));
        assertEquals("fake-model", run.model());
        assertEquals(8, s.ttftMs().count());
        assertTrue(s.ttftMs().min() >= 40 && s.ttftMs().p50() <= 40 + SLACK_MS, "TTFT " + s.ttftMs());
        assertEquals(8 * 5, s.itlMs().count(), "five gaps between six tokens per request");
        // a gap seen by the client can shrink when the chunk before it was read late, so these are loose;
        // ResponseRecorderTest checks the arithmetic exactly
        assertTrue(s.itlMs().mean() >= 20 - 5 && s.itlMs().mean() <= 20 + SLACK_MS / 3, "ITL " + s.itlMs());
        assertTrue(s.itlMs().p50() >= 10 && s.itlMs().p50() <= 20 + SLACK_MS, "ITL " + s.itlMs());
        assertTrue(s.latencyMs().min() >= 40 + 5 * 20, "latency " + s.latencyMs());
        assertEquals(6.0, s.outputTokensAvg());
        assertEquals(16.0, s.promptTokensAvg(), "usage.prompt_tokens of 16 one-token words");
        assertTrue(s.tpotMs().min() >= 0 && s.tpotMs().count() == 8);
        double seconds = run.durationNs() / 1e9;
        assertEquals(8 / seconds, s.requestsPerS(), 1e-9);
        assertEquals(48 / seconds, s.outputTokensPerS(), 1e-9);
        assertEquals((48 + 8 * 16) / seconds, s.totalTokensPerS(), 1e-9);
        assertEquals(9, server.completionRequests.get(), "one warm-up and eight measured");
        assertEquals("fake-model", server.bodies.get(1).path("model").asText());
        assertTrue(server.bodies.get(1).path("stream_options").path("include_usage").asBoolean());
        assertEquals(8, server.bodies.get(1).path("max_tokens").asInt());
    }

    @Test
    void rateLimitedRequestsAreCountedApartAndKeptOutOfTheLatencies() throws Exception {
        server.rateLimited = n -> n % 3 == 2;
        ServeBenchRun run = ServeBench.run(config(9, 3, Endpoint.COMPLETIONS, true, 0), null);
        ServeBenchSummary s = summary(run);
        assertEquals(6, s.ok());
        assertEquals(3, s.failed());
        assertEquals(3, s.rateLimited());
        assertEquals(Map.of("HTTP 429", 3), s.errors());
        assertEquals(6, s.latencyMs().count());
        assertTrue(s.latencyMs().min() >= 40 + 7 * 10, "a fast 429 must not count as a fast request: " + s.latencyMs());
        assertTrue(ServeBench.errorSummary(run.results()).contains("HTTP 429 x3 (first: queue full)"),
                ServeBench.errorSummary(run.results()));
    }

    @Test
    void warmUpCalibratesPromptWordsToTheServersTokenCount() throws Exception {
        server.tokensPerWord = 2;
        ServeBenchRun run = ServeBench.run(config(2, 1, Endpoint.COMPLETIONS, true, 1), null);
        assertEquals(8, run.promptWords(), "16 tokens at 2 tokens per word");
        assertEquals(16.0, summary(run).promptTokensAvg());
    }

    @Test
    void chatRoleChunkDoesNotCountAsTheFirstToken() throws Exception {
        server.ttftMs = 60;
        ServeBenchRun run = ServeBench.run(config(2, 2, Endpoint.CHAT, true, 0), null);
        ServeBenchSummary s = summary(run);
        assertEquals(2, s.ok(), ServeBench.errorSummary(run.results()));
        assertTrue(s.ttftMs().min() >= 60, "TTFT " + s.ttftMs());
        assertEquals("user", server.bodies.get(0).path("messages").path(0).path("role").asText());
    }

    @Test
    void withoutStreamingOnlyLatencyIsMeasured() throws Exception {
        ServeBenchRun run = ServeBench.run(config(2, 1, Endpoint.COMPLETIONS, false, 0), null);
        ServeBenchSummary s = summary(run);
        assertEquals(2, s.ok(), ServeBench.errorSummary(run.results()));
        assertEquals(0, s.ttftMs().count());
        assertEquals(0, s.itlMs().count());
        assertTrue(s.latencyMs().min() >= 40 + 7 * 10);
        assertEquals(8.0, s.outputTokensAvg());
        assertFalse(server.bodies.get(0).has("stream_options"));
    }

    @Test
    void aServerRejectingStreamOptionsIsAskedAgainWithoutThem() throws Exception {
        server.rejectStreamOptions = true;
        ServeBenchRun run = ServeBench.run(config(3, 1, Endpoint.COMPLETIONS, true, 0), null);
        ServeBenchSummary s = summary(run);
        assertEquals(3, s.ok(), ServeBench.errorSummary(run.results()));
        assertFalse(run.usageAsked());
        assertEquals(4, server.completionRequests.get(), "one rejected request, retried once, then never asked");
        assertEquals(8.0, s.outputTokensAvg(), "counted as text chunks");
        assertTrue(Double.isNaN(s.promptTokensAvg()));
        assertTrue(Double.isNaN(s.totalTokensPerS()));
    }

    @Test
    void aStalledStreamIsCutOffAtTheRequestTimeout() throws Exception {
        server.stall = true;
        ServeBenchConfig c = new ServeBenchConfig(server.url(), 2, 2, 16, 8, Endpoint.COMPLETIONS, true, 0, 0, 0,
                300, null, null);
        ServeBenchRun run = ServeBench.run(c, null);
        ServeBenchSummary s = summary(run);
        assertEquals(0, s.ok());
        assertEquals(Map.of("timeout", 2), s.errors());
        assertTrue(ServeBench.errorSummary(run.results()).contains("did not end within 300 ms"));
    }

    @Test
    void aStreamWithoutDoneIsAFailure() throws Exception {
        server.omitDone = true;
        ServeBenchRun run = ServeBench.run(config(2, 1, Endpoint.COMPLETIONS, true, 0), null);
        assertEquals(Map.of("incomplete stream", 2), summary(run).errors());
    }

    @Test
    void aServerHangingUpWithoutAnAnswerIsSaidInWords() throws Exception {
        server.hangUp = true;
        ServeBenchRun run = ServeBench.run(config(2, 1, Endpoint.COMPLETIONS, true, 0), null);
        assertEquals(Map.of("connection error", 2), summary(run).errors());
        assertTrue(ServeBench.errorSummary(run.results()).contains("the server closed the connection without answering"),
                ServeBench.errorSummary(run.results()));
    }

    @Test
    void everyWarmUpFailingStopsTheRunWithTheServersReason() {
        server.rateLimited = n -> true;
        ServeBenchException e = assertThrows(ServeBenchException.class,
                () -> ServeBench.run(config(4, 1, Endpoint.COMPLETIONS, true, 2), null));
        assertEquals("every warm-up request failed, nothing measured: HTTP 429 x2 (first: queue full)", e.getMessage());
    }

    @Test
    void anUnreachableServerIsOneClearError() throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        ServeBenchConfig c = new ServeBenchConfig(URI.create("http://127.0.0.1:" + port), 1, 1, 16, 8,
                Endpoint.COMPLETIONS, true, 0, 0, 0, 5_000, null, null);
        ServeBenchException e = assertThrows(ServeBenchException.class, () -> ServeBench.run(c, null));
        assertTrue(e.getMessage().startsWith("cannot reach the server at http://127.0.0.1:" + port
                + " (--url): connection refused"), e.getMessage());
    }

    @Test
    void aServerThatIsNotOpenAiIsOneClearError() {
        server.notOpenAi = true;
        ServeBenchException e = assertThrows(ServeBenchException.class,
                () -> ServeBench.run(config(1, 1, Endpoint.COMPLETIONS, true, 0), null));
        assertTrue(e.getMessage().contains("/v1/models did not answer like an OpenAI server")
                && e.getMessage().contains("It works!"), e.getMessage());
    }
}
