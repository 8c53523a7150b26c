package numatp.server;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Queue limits, clients that leave, engine failures and shutdown, with the engine held at
 * a step boundary ({@link GatedEngine}) so each case happens at a known moment.
 */
@Timeout(60)
class ServeLifecycleTest {
    static final Duration WAIT = Duration.ofSeconds(30);

    static String completion(int maxTokens, boolean stream) {
        return "{\"prompt\": \"Once upon a time\", \"max_tokens\": " + maxTokens + ", \"temperature\": 0"
                + (stream ? ", \"stream\": true}" : "}");
    }

    static CompletableFuture<HttpResponse<String>> postAsync(ServeFixture serve, String body) {
        return serve.client.sendAsync(HttpRequest.newBuilder(serve.base.resolve("/v1/completions"))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void fullQueueIsRefusedWith429() throws Exception {
        try (ServeFixture serve = ServeFixture.stories(1, true,
                ServeConfig.defaults(ServeFixture.MODEL_ID, 0).withMaxQueue(1))) {
            Scheduler scheduler = serve.server.scheduler();
            var running = postAsync(serve, completion(5, false));
            ServeFixture.await("first request in its slot", WAIT, () -> scheduler.running() == 1);
            var waiting = postAsync(serve, completion(5, false));
            ServeFixture.await("second request queued", WAIT, () -> scheduler.queueDepth() == 1);

            HttpResponse<String> refused = serve.post("/v1/completions", completion(5, false));
            ApiErrorsTest.assertError(refused, 429, null, "queue_full");

            serve.gate.open();
            assertEquals(200, running.get().statusCode(), running.get().body());
            assertEquals(200, waiting.get().statusCode(), waiting.get().body());
            assertEquals(1, serve.metric("numatp_http_requests_total{endpoint=\"/v1/completions\",status=\"429\"}"));
        }
    }

    @Test
    void clientLeavingMidStreamCancelsItsSequenceAndFreesTheSlot() throws Exception {
        try (ServeFixture serve = ServeFixture.stories(1, true)) {
            Scheduler scheduler = serve.server.scheduler();
            ServeMetrics metrics = serve.server.metrics();
            HttpResponse<InputStream> response = serve.client.sendAsync(
                    HttpRequest.newBuilder(serve.base.resolve("/v1/completions"))
                            .POST(HttpRequest.BodyPublishers.ofString(completion(400, true))).build(),
                    HttpResponse.BodyHandlers.ofInputStream()).get();
            assertEquals(200, response.statusCode());
            serve.gate.allow(1); // the prompt: the first token follows
            try (InputStream body = response.body()) {
                BufferedReader lines = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8));
                String line;
                do {
                    line = lines.readLine();
                } while (line != null && !line.startsWith("data: "));
                assertTrue(line != null && line.contains("\"text\""), String.valueOf(line));
            } // the client goes away with 399 tokens to go
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (metrics.finishedCount(FinishReason.CANCELLED) == 0 && System.nanoTime() < deadline) {
                serve.gate.allow(1); // each step writes a chunk; a write to the closed connection fails
                ServeFixture.await("the step taken", WAIT, () -> serve.gate.availablePermits() == 0
                        || metrics.finishedCount(FinishReason.CANCELLED) > 0);
            }
            assertEquals(1, metrics.finishedCount(FinishReason.CANCELLED));
            assertEquals(0, metrics.finishedCount(FinishReason.LENGTH));
            ServeFixture.await("slot freed", WAIT, () -> scheduler.running() == 0);

            serve.gate.open();
            HttpResponse<String> next = serve.post("/v1/completions", completion(5, false));
            assertEquals(200, next.statusCode(), next.body()); // the only slot was free again
        }
    }

    @Test
    void shutdownLetsInFlightRequestsFinishThenStops() throws Exception {
        ServeFixture serve = ServeFixture.stories(2, true,
                ServeConfig.defaults(ServeFixture.MODEL_ID, 0).withShutdownGrace(Duration.ofSeconds(30)));
        try (serve) {
            Scheduler scheduler = serve.server.scheduler();
            var streamed = postAsync(serve, completion(20, true));
            var whole = postAsync(serve, completion(20, false));
            ServeFixture.await("both requests in", WAIT, () -> scheduler.running() + scheduler.queueDepth() == 2);
            CompletableFuture<Void> stopping = CompletableFuture.runAsync(() -> serve.server.shutdown());
            ServeFixture.await("accepting stopped", WAIT, () -> !scheduler.accepting());
            try {
                HttpResponse<String> late = serve.post("/v1/completions", completion(5, false));
                ApiErrorsTest.assertError(late, 503, null, "shutting_down");
            } catch (java.io.UncheckedIOException refused) {
                assertTrue(refused.getCause() instanceof ConnectException || refused.getCause() instanceof IOException,
                        refused.toString());
            }

            serve.gate.open();
            HttpResponse<String> s = streamed.get();
            assertEquals(200, s.statusCode());
            List<String> events = ServeFixture.events(s.body());
            assertEquals("[DONE]", events.getLast());
            JsonNode end = ServeFixture.json(events.get(events.size() - 2)).path("choices").get(0);
            assertEquals("length", end.path("finish_reason").asText(), s.body());
            HttpResponse<String> w = whole.get();
            assertEquals(200, w.statusCode(), w.body());
            assertEquals(20, ServeFixture.json(w.body()).path("usage").path("completion_tokens").asInt());

            stopping.get();
            assertTrue(serve.gate.closed(), "engine closed");
            ExecutionException gone = assertThrows(ExecutionException.class,
                    () -> postAsync(serve, completion(5, false)).get());
            assertTrue(gone.getCause() instanceof IOException, gone.toString());
        }
    }

    @Test
    void shutdownAbortsWhatIsStillRunningAtTheDeadline() throws Exception {
        try (ServeFixture serve = ServeFixture.stories(2, true,
                ServeConfig.defaults(ServeFixture.MODEL_ID, 0).withShutdownGrace(Duration.ZERO))) {
            Scheduler scheduler = serve.server.scheduler();
            var streamed = postAsync(serve, completion(300, true));
            var whole = postAsync(serve, completion(300, false));
            ServeFixture.await("both requests in", WAIT, () -> scheduler.running() + scheduler.queueDepth() == 2);
            CompletableFuture<Void> stopping = CompletableFuture.runAsync(() -> serve.server.shutdown());
            ServeFixture.await("accepting stopped", WAIT, () -> !scheduler.accepting());
            serve.gate.open(); // the step in progress ends; the deadline has passed

            HttpResponse<String> s = streamed.get();
            assertEquals(200, s.statusCode());
            List<String> events = ServeFixture.events(s.body());
            assertEquals("[DONE]", events.getLast());
            JsonNode error = ServeFixture.json(events.get(events.size() - 2)).path("error");
            assertEquals("shutting_down", error.path("code").asText(), s.body());
            ApiErrorsTest.assertError(whole.get(), 503, null, "shutting_down");
            stopping.get();
            assertTrue(serve.gate.closed(), "engine closed");
            assertEquals(2, serve.server.metrics().finishedCount(FinishReason.ABORTED));
        }
    }

    @Test
    void brokenEngineAnswers500WithAnErrorIdAndTurnsUnhealthy() throws Exception {
        try (ServeFixture serve = ServeFixture.stories(1, true)) {
            serve.gate.breakOnStep(new IllegalStateException("injected"));
            serve.gate.open();
            HttpResponse<String> r = serve.post("/v1/completions", completion(5, false));
            ApiErrorsTest.assertError(r, 500, null, "internal_error");
            assertTrue(ServeFixture.json(r.body()).path("error").path("message").asText().matches(
                    ".*error id [0-9a-f]{8}.*"), r.body());
            assertEquals(503, serve.get("/health").statusCode());
            ApiErrorsTest.assertError(serve.post("/v1/completions", completion(5, false)), 500, null,
                    "internal_error");
        }
    }
}
