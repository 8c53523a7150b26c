package numatp.server;

import com.fasterxml.jackson.databind.JsonNode;
import numatp.models.ModelException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two replicas of stories260K (one shard each) behind one endpoint: greedy text equals one
 * replica's, a burst is spread evenly (read from the {@code replica} series of /metrics), and a
 * replica whose engine broke leaves the other answering while /health names it.
 */
@Timeout(180)
class ReplicaServeTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String[] PROMPTS = {"Once upon a time", "Lily and Tom", "The sun", "One day, a little"};

    @Test
    void greedyTextOfTwoReplicasEqualsOneReplicas() {
        ServeConfig config = ServeConfig.defaults(ServeFixture.MODEL_ID, 0);
        List<String> one = new ArrayList<>();
        try (ServeFixture serve = ServeFixture.stories(1, 4, false, config)) {
            for (String p : PROMPTS) {
                one.add(text(serve.post("/v1/completions", body(p, 40))));
            }
        }
        try (ServeFixture serve = ServeFixture.storiesReplicas(2, 1, 4, false, config)) {
            // Concurrently, so both replicas answer some of them.
            List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
            for (String p : PROMPTS) {
                answers.add(ServeLifecycleTest.postAsync(serve, body(p, 40)));
            }
            for (int i = 0; i < PROMPTS.length; i++) {
                assertEquals(one.get(i), text(answers.get(i).join()), PROMPTS[i]);
            }
            assertEquals(PROMPTS.length, serve.metric("numatp_replica_requests_total{replica=\"0\"}")
                    + serve.metric("numatp_replica_requests_total{replica=\"1\"}"));
        }
    }

    @Test
    void aBurstOf32IsSpreadOverBothReplicas() {
        try (ServeFixture serve = ServeFixture.storiesReplicas(2, 1, 8, true,
                ServeConfig.defaults(ServeFixture.MODEL_ID, 0))) {
            List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                answers.add(ServeLifecycleTest.postAsync(serve, body(PROMPTS[i % PROMPTS.length], 6)));
            }
            // The gates hold every step: all 32 are outstanding at once.
            ServeFixture.await("32 requests routed", WAIT, () -> serve.server.schedulers().stream()
                    .mapToInt(Scheduler::outstanding).sum() == 32);
            assertEquals(16, serve.metric("numatp_replica_requests_total{replica=\"0\"}"));
            assertEquals(16, serve.metric("numatp_replica_requests_total{replica=\"1\"}"));
            assertEquals(16, serve.metric("numatp_kv_slots"));
            serve.gates.forEach(GatedEngine::open);
            for (CompletableFuture<HttpResponse<String>> a : answers) {
                assertEquals(200, a.join().statusCode(), a.join().body());
            }
            double tokens0 = serve.metric("numatp_replica_completion_tokens_total{replica=\"0\"}");
            double tokens1 = serve.metric("numatp_replica_completion_tokens_total{replica=\"1\"}");
            assertTrue(tokens0 > 0 && tokens1 > 0, tokens0 + " / " + tokens1);
            assertEquals(serve.metric("numatp_completion_tokens_total"), tokens0 + tokens1);
            assertEquals(0, serve.metric("numatp_replica_errors_total{replica=\"0\"}"));
            ServeFixture.await("every request counted out", WAIT, () -> serve.server.schedulers().stream()
                    .mapToInt(Scheduler::outstanding).sum() == 0); // no leak would skew the router
        }
    }

    @Test
    void aBrokenReplicaLeavesTheOtherAnsweringAndHealthNamesIt() {
        try (ServeFixture serve = ServeFixture.storiesReplicas(2, 1, 4, true,
                ServeConfig.defaults(ServeFixture.MODEL_ID, 0))) {
            serve.gates.forEach(GatedEngine::open);
            String reference = text(serve.post("/v1/completions", body(PROMPTS[0], 20))); // tie: replica 0
            JsonNode healthy = ServeFixture.json(serve.get("/health").body());
            assertEquals("ok", healthy.path("status").asText(), healthy.toString());
            assertEquals(2, healthy.path("replicas").size());

            serve.gates.getFirst().breakWith(new ModelException("worker 0 (node 0, shards [0], pid 1) was killed by"
                    + " signal 9 (SIGKILL)"));
            List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                answers.add(ServeLifecycleTest.postAsync(serve, body(PROMPTS[0], 20)));
            }
            for (CompletableFuture<HttpResponse<String>> a : answers) {
                HttpResponse<String> r = a.join();
                assertEquals(200, r.statusCode(), r.body()); // those sent to replica 0 ran again on replica 1
                assertEquals(reference, text(r));
            }
            // The requests ran on replica 1 as soon as replica 0 was lost; it is marked failed right after.
            ServeFixture.await("replica 0 failed", WAIT, () -> serve.server.schedulers().getFirst().engineFailed());
            HttpResponse<String> h = serve.get("/health");
            assertEquals(200, h.statusCode(), h.body());
            JsonNode health = ServeFixture.json(h.body());
            assertEquals("degraded", health.path("status").asText(), h.body());
            assertEquals("failed", health.path("replicas").get(0).path("status").asText(), h.body());
            assertEquals(serve.server.schedulers().getFirst().failedErrorId(),
                    health.path("replicas").get(0).path("error_id").asText(), h.body());
            assertEquals("ok", health.path("replicas").get(1).path("status").asText(), h.body());
            assertEquals(0, serve.metric("numatp_replica_up{replica=\"0\"}"));
            assertEquals(1, serve.metric("numatp_replica_up{replica=\"1\"}"));
            for (int i = 0; i < 3; i++) {
                assertEquals(reference, text(serve.post("/v1/completions", body(PROMPTS[0], 20))));
            }
        }
    }

    private static String body(String prompt, int maxTokens) {
        return "{\"prompt\": \"" + prompt + "\", \"max_tokens\": " + maxTokens + ", \"temperature\": 0}";
    }

    private static String text(HttpResponse<String> r) {
        assertEquals(200, r.statusCode(), r.body());
        return ServeFixture.json(r.body()).path("choices").get(0).path("text").asText();
    }
}
