package numatp.server;

import com.fasterxml.jackson.databind.JsonNode;
import numatp.models.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 19, finding 1: one failing step, or one request whose tokens the model or the
 * tokenizer cannot take, fails that request alone; the server stays healthy and the next
 * requests are answered as if nothing had happened.
 */
@Timeout(120)
class EngineFailureTest {
    static final String PROMPT = "{\"prompt\": \"Once upon a time\", \"max_tokens\": 8, \"temperature\": 0";

    @Test
    void failedStepFailsOnlyItsRequestsAndServingGoesOn() throws Exception {
        try (ServeFixture serve = ServeFixture.stories(1, true); LogCapture log = new LogCapture(Scheduler.class)) {
            Scheduler scheduler = serve.server.scheduler();
            serve.gate.open();
            String reference = text(serve.post("/v1/completions", PROMPT + "}"));
            serve.gate.hold();

            var failing = ServeLifecycleTest.postAsync(serve, PROMPT + ", \"stream\": true}");
            ServeFixture.await("streamed request in its slot", ServeLifecycleTest.WAIT, () -> scheduler.running() == 1);
            var queued = ServeLifecycleTest.postAsync(serve, PROMPT + "}");
            ServeFixture.await("second request queued", ServeLifecycleTest.WAIT, () -> scheduler.queueDepth() == 1);
            serve.gate.allow(1); // the prompt step: the first token is sampled
            ServeFixture.await("prompt step taken", ServeLifecycleTest.WAIT, () -> serve.gate.availablePermits() == 0);
            serve.gate.failNext(new IllegalStateException("injected on a decode step"));
            serve.gate.open();

            HttpResponse<String> s = failing.get();
            assertEquals(200, s.statusCode()); // the stream had started
            List<String> events = ServeFixture.events(s.body());
            assertEquals("[DONE]", events.getLast());
            JsonNode error = ServeFixture.json(events.get(events.size() - 2)).path("error");
            assertEquals("internal_error", error.path("code").asText(), s.body());
            String id = error.path("message").asText().replaceAll(".*error id ([0-9a-f]{8}).*", "$1");

            HttpResponse<String> q = queued.get(); // not in the failed step: it runs in the freed slot
            assertEquals(200, q.statusCode(), q.body());
            assertEquals(reference, text(q));
            assertEquals(200, serve.get("/health").statusCode());
            assertEquals(reference, text(serve.post("/v1/completions", PROMPT + "}")));
            assertEquals(1, serve.server.metrics().finishedCount(FinishReason.FAILED));

            String line = log.only("engine step failed");
            assertTrue(line.contains("error id " + id) && line.contains("IllegalStateException: injected on a decode"
                    + " step") && line.contains("serving on"), line);
        }
    }

    @Test
    void aLostWorkerEndsTheRunningRequestsWith503AndTheRecoveredEngineServesTheQueue() throws Exception {
        String detail = "worker 1 (node 0, shards [1], pid 4242) was killed by signal 9 (SIGKILL)";
        try (ServeFixture serve = ServeFixture.stories(2, true)) {
            Scheduler scheduler = serve.server.scheduler();
            serve.gate.open();
            String reference = text(serve.post("/v1/completions", PROMPT + "}"));
            serve.gate.hold();

            int before = serve.gate.stepsEntered();
            var streamed = ServeLifecycleTest.postAsync(serve, PROMPT + ", \"stream\": true}");
            ServeFixture.await("streamed request in its slot", ServeLifecycleTest.WAIT, () -> scheduler.running() == 1);
            var whole = ServeLifecycleTest.postAsync(serve, PROMPT + "}");
            ServeFixture.await("second request queued", ServeLifecycleTest.WAIT, () -> scheduler.queueDepth() == 1);
            serve.gate.allow(1); // the first prompt step: its first token is sampled, then the second joins
            ServeFixture.await("both requests in the next step", ServeLifecycleTest.WAIT,
                    () -> scheduler.running() == 2 && serve.gate.stepsEntered() == before + 2);
            serve.gate.loseWorker(detail);
            serve.gate.open();

            HttpResponse<String> s = streamed.get();
            assertEquals(200, s.statusCode()); // the stream had started
            List<String> events = ServeFixture.events(s.body());
            assertEquals("[DONE]", events.getLast());
            JsonNode error = ServeFixture.json(events.get(events.size() - 2)).path("error");
            assertEquals("engine_unavailable", error.path("code").asText(), s.body());
            assertTrue(error.path("message").asText().contains(detail), s.body());
            HttpResponse<String> w = whole.get(); // its KV cache went with the worker too
            ApiErrorsTest.assertError(w, 503, null, "engine_unavailable");
            assertTrue(w.body().contains(detail), w.body());

            HttpResponse<String> degraded = serve.get("/health");
            assertEquals(503, degraded.statusCode());
            JsonNode health = ServeFixture.json(degraded.body());
            assertEquals("degraded", health.path("status").asText(), degraded.body());
            assertEquals("restarting", health.path("engine").path("state").asText(), degraded.body());
            assertEquals(detail, health.path("engine").path("detail").asText(), degraded.body());

            var queued = ServeLifecycleTest.postAsync(serve, PROMPT + "}"); // waits for the recovery
            ServeFixture.await("request queued", ServeLifecycleTest.WAIT, () -> scheduler.queueDepth() == 1);
            serve.gate.allowRecovery();
            HttpResponse<String> q = queued.get();
            assertEquals(200, q.statusCode(), q.body());
            assertEquals(reference, text(q));
            HttpResponse<String> ok = serve.get("/health");
            assertEquals(200, ok.statusCode(), ok.body());
            assertEquals(1, ServeFixture.json(ok.body()).path("engine").path("restarts").asInt(), ok.body());
            assertEquals(2, serve.server.metrics().finishedCount(FinishReason.UNAVAILABLE));
            assertTrue(!scheduler.engineFailed());
        }
    }

    @Test
    void aPartLostForGoodAnswers503NamingItToTheRunningTheQueuedAndNewRequests() throws Exception {
        String detail = "world rank 1 (host node-b, pid 4242) died: its liveness connection closed without a goodbye";
        try (ServeFixture serve = ServeFixture.stories(1, true)) {
            Scheduler scheduler = serve.server.scheduler();
            serve.gate.allow(1);
            var streamed = ServeLifecycleTest.postAsync(serve, PROMPT + ", \"stream\": true}");
            ServeFixture.await("streamed request in its slot", ServeLifecycleTest.WAIT, () -> scheduler.running() == 1);
            var queued = ServeLifecycleTest.postAsync(serve, PROMPT + "}");
            ServeFixture.await("second request queued", ServeLifecycleTest.WAIT, () -> scheduler.queueDepth() == 1);
            serve.gate.loseForGood(detail);
            serve.gate.open();

            HttpResponse<String> s = streamed.get();
            assertEquals(200, s.statusCode()); // the stream had started
            List<String> events = ServeFixture.events(s.body());
            JsonNode error = ServeFixture.json(events.get(events.size() - 2)).path("error");
            assertEquals("engine_unavailable", error.path("code").asText(), s.body());
            assertTrue(error.path("message").asText().contains(detail + "; it cannot continue"), s.body());
            HttpResponse<String> q = queued.get(); // it never ran, but nothing will run it: a 503, not a 500
            ApiErrorsTest.assertError(q, 503, null, "engine_unavailable");
            assertTrue(q.body().contains(detail), q.body());
            ServeFixture.await("engine failed", ServeLifecycleTest.WAIT, scheduler::engineFailed);
            HttpResponse<String> later = serve.post("/v1/completions", PROMPT + "}");
            ApiErrorsTest.assertError(later, 503, null, "engine_unavailable");
            assertTrue(later.body().contains("cannot continue") && later.body().contains(detail), later.body());
            HttpResponse<String> health = serve.get("/health");
            assertEquals(503, health.statusCode());
            assertEquals("failed", ServeFixture.json(health.body()).path("engine").path("state").asText(),
                    health.body());
        }
    }

    @Test
    void textEncodingPastTheModelRowsIs400AndTheServerStaysHealthy() {
        // A tokenizer one piece longer than the model: "é" is a whole piece, id 354 of 354 rows.
        Tokenizer builtin = BuiltinModel.tokenizer();
        byte[][] pieces = Arrays.copyOf(pieces(builtin), BuiltinModel.VOCAB_SIZE + 1);
        pieces[BuiltinModel.VOCAB_SIZE] = "é".getBytes(StandardCharsets.UTF_8);
        Tokenizer longer = new Tokenizer(pieces, new float[pieces.length]);
        try (ServeFixture serve = ServeFixture.builtin(2, longer, ServeConfig.defaults(BuiltinModel.ID, 0))) {
            HttpResponse<String> r = serve.post("/v1/completions", "{\"prompt\": \"café\", \"max_tokens\": 2}");
            ApiErrorsTest.assertError(r, 400, "prompt", null);
            assertTrue(r.body().contains("token id 354"), r.body());
            HttpResponse<String> chat = serve.post("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\","
                    + " \"content\": \"é\"}], \"max_tokens\": 2}");
            ApiErrorsTest.assertError(chat, 400, "messages", null);
            assertEquals(200, serve.get("/health").statusCode());
            HttpResponse<String> fine = serve.post("/v1/completions", "{\"prompt\": \"cafe\", \"max_tokens\": 2}");
            assertEquals(200, fine.statusCode(), fine.body());
        }
    }

    @Test
    void tokenizerShorterThanTheModelFailsOnlyTheRequestThatSamplesPastIt() throws Exception {
        // The byte pieces only: the model samples ids 259..353, which this tokenizer cannot decode.
        Tokenizer shorter = new Tokenizer(Arrays.copyOf(pieces(BuiltinModel.tokenizer()), 259), new float[259]);
        try (ServeFixture serve = ServeFixture.builtin(2, shorter, ServeConfig.defaults(BuiltinModel.ID, 0));
             LogCapture log = new LogCapture(Scheduler.class)) {
            HttpResponse<String> r = serve.post("/v1/completions", "{\"prompt\": [1], \"max_tokens\": 200,"
                    + " \"temperature\": 1, \"seed\": 7}");
            ApiErrorsTest.assertError(r, 500, null, "internal_error");
            assertEquals(200, serve.get("/health").statusCode());
            assertTrue(serve.server.scheduler().accepting());
            String line = log.only("sampling failed");
            assertTrue(line.contains("ModelException") && line.contains("serving on"), line);
            HttpResponse<String> again = serve.post("/v1/completions", "{\"prompt\": [1], \"max_tokens\": 200,"
                    + " \"temperature\": 1, \"seed\": 7}");
            ApiErrorsTest.assertError(again, 500, null, "internal_error"); // a new failure, not the server's
            assertTrue(!again.body().equals(r.body()), "each failure has its own error id");
        }
    }

    static String text(HttpResponse<String> r) {
        assertEquals(200, r.statusCode(), r.body());
        return ServeFixture.json(r.body()).path("choices").get(0).path("text").asText();
    }

    static byte[][] pieces(Tokenizer t) {
        byte[][] out = new byte[t.vocabSize()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = t.piece(i);
        }
        return out;
    }

    /** Records what a class logs through System.Logger (the JDK's default: java.util.logging). */
    static final class LogCapture extends Handler implements AutoCloseable {
        private final Logger logger;
        private final List<String> lines = new CopyOnWriteArrayList<>();

        LogCapture(Class<?> source) {
            this.logger = Logger.getLogger(source.getName());
            logger.addHandler(this);
        }

        /** The one line that contains {@code text}. */
        String only(String text) {
            List<String> found = lines.stream().filter(l -> l.contains(text)).toList();
            assertEquals(1, found.size(), "log lines with '" + text + "': " + lines);
            return found.getFirst();
        }

        @Override
        public void publish(LogRecord record) {
            lines.add(record.getMessage());
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
            logger.removeHandler(this);
        }
    }
}
