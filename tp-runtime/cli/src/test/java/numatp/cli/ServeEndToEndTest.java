package numatp.cli;

import com.fasterxml.jackson.databind.JsonNode;
import numatp.server.Scheduler;
import numatp.server.ServeConfig;
import numatp.server.ServeFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * stories260K through HTTP on 1, 2 and 8 shards: the text of {@code tp generate} and of
 * llama2.c, whole, streamed and 16 at once.
 */
@ParameterizedClass(name = "shards={0}")
@ValueSource(ints = {1, 2, 8})
@Timeout(120)
class ServeEndToEndTest {
    static ServeFixture serve; // one server per shard count

    @Parameter
    int shards;

    @BeforeParameterizedClassInvocation
    static void start(int shards) {
        serve = ServeFixture.stories(shards, 16, true, ServeConfig.defaults(ServeFixture.MODEL_ID, 0));
        serve.gate.open();
    }

    @AfterParameterizedClassInvocation
    static void stop() {
        if (serve != null) {
            serve.close();
        }
    }

    /** What {@code tp generate --shards} prints for a greedy run of {@code maxTokens} after {@code prompt}, prompt removed. */
    String generateText(String prompt, int maxTokens) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = TpMain.execute(new String[] {"generate", "--model", ServeFixture.STORIES.toString(),
                "--tokenizer", ServeFixture.TOK512.toString(), "--prompt", prompt, "--temperature", "0",
                "--max-tokens", String.valueOf(maxTokens), "--shards", String.valueOf(shards), "--warmup-seconds", "0"}, new PrintWriter(out), new PrintWriter(err));
        assertEquals(0, code, err.toString());
        String text = out.toString();
        assertTrue(text.startsWith(prompt) && text.endsWith("\n"), text);
        return text.substring(prompt.length(), text.length() - 1);
    }

    static String completion(String prompt, int maxTokens) {
        return String.format(Locale.ROOT, "{\"model\":\"stories260K\",\"prompt\":%s,\"max_tokens\":%d,"
                + "\"temperature\":0}", ServeFixture.JSON.valueToTree(prompt), maxTokens);
    }

    @Test
    void greedyCompletionIsTheTextOfTpGenerate() {
        for (String prompt : List.of("Once upon a time", "Lily and Tom went to the park")) {
            String expected = generateText(prompt, 60);
            HttpResponse<String> r = serve.post("/v1/completions", completion(prompt, 60));
            assertEquals(200, r.statusCode(), r.body());
            JsonNode body = ServeFixture.json(r.body());
            assertEquals("text_completion", body.path("object").asText());
            assertTrue(body.path("id").asText().startsWith("cmpl-"), r.body());
            assertTrue(body.path("created").isIntegralNumber(), r.body());
            assertEquals("stories260K", body.path("model").asText());
            JsonNode choice = body.path("choices").get(0);
            assertEquals(0, choice.path("index").asInt());
            assertTrue(choice.has("logprobs") && choice.path("logprobs").isNull(), r.body());
            assertEquals(expected, choice.path("text").asText(), "prompt: " + prompt);
            assertEquals("length", choice.path("finish_reason").asText());
            JsonNode usage = body.path("usage");
            assertEquals(60, usage.path("completion_tokens").asInt());
            assertEquals(usage.path("prompt_tokens").asInt() + 60, usage.path("total_tokens").asInt());
        }
    }

    @Test
    void bosOnlyPromptGivesLlama2cReferenceText() throws Exception {
        String expected = Files.readString(ServeFixture.MODELS.resolve("stories260K_t0_n200.expected.txt"));
        // run.c -n 200 from BOS: 200 forward passes, 200 tokens printed.
        HttpResponse<String> r = serve.post("/v1/completions",
                "{\"prompt\":[1],\"max_tokens\":200,\"temperature\":0}");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(expected, ServeFixture.json(r.body()).path("choices").get(0).path("text").asText() + "\n");
    }

    @Test
    void streamingReturnsTheSameTextInPieces() throws InterruptedException {
        String prompt = "Once upon a time";
        String expected = generateText(prompt, 60);
        String body = completion(prompt, 60).replace("}", ",\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
        HttpResponse<String> r = serve.post("/v1/completions", body);
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        List<String> whole = ServeFixture.events(r.body());
        assertEquals("[DONE]", whole.getLast());
        assertEquals(expected, ServeFixture.streamedText(whole));
        // The handler sends whatever text is ready when it wakes, so whether a fast engine's tokens
        // arrive in one piece or many depends on scheduling: pace the engine to see the pieces.
        String paced = serve.postStreamingOneStepAtATime("/v1/completions", body);
        assertTrue(paced.startsWith("status: 200\n"), paced);
        List<String> events = ServeFixture.events(paced.substring(paced.indexOf('\n') + 1));
        assertEquals(expected, ServeFixture.streamedText(events));
        long pieces = events.stream().filter(e -> !e.equals("[DONE]"))
                .filter(e -> !ServeFixture.json(e).path("choices").isEmpty())
                .filter(e -> !ServeFixture.json(e).path("choices").get(0).path("text").asText().isEmpty()).count();
        assertTrue(pieces > 1, "one piece only: " + r.body());
        JsonNode last = ServeFixture.json(events.get(events.size() - 3)).path("choices").get(0);
        assertEquals("length", last.path("finish_reason").asText());
        JsonNode usage = ServeFixture.json(events.get(events.size() - 2));
        assertTrue(usage.path("choices").isEmpty());
        assertEquals(60, usage.path("usage").path("completion_tokens").asInt());
    }

    @Test
    void chatStreamAndWholeAgree() {
        String messages = "\"messages\":[{\"role\":\"system\",\"content\":\"Tell stories.\"},"
                + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Once upon a time\"}]}]";
        HttpResponse<String> whole = serve.post("/v1/chat/completions",
                "{" + messages + ",\"max_tokens\":30,\"temperature\":0}");
        assertEquals(200, whole.statusCode(), whole.body());
        JsonNode body = ServeFixture.json(whole.body());
        assertEquals("chat.completion", body.path("object").asText());
        assertTrue(body.path("id").asText().startsWith("chatcmpl-"));
        JsonNode message = body.path("choices").get(0).path("message");
        assertEquals("assistant", message.path("role").asText());
        String text = message.path("content").asText();
        assertFalse(text.contains("\nUser:"), text);

        HttpResponse<String> streamed = serve.post("/v1/chat/completions",
                "{" + messages + ",\"max_tokens\":30,\"temperature\":0,\"stream\":true}");
        List<String> events = ServeFixture.events(streamed.body());
        JsonNode first = ServeFixture.json(events.getFirst());
        assertEquals("chat.completion.chunk", first.path("object").asText());
        assertEquals("assistant", first.path("choices").get(0).path("delta").path("role").asText());
        assertEquals(text, ServeFixture.streamedText(events));
        JsonNode end = ServeFixture.json(events.get(events.size() - 2)).path("choices").get(0);
        assertEquals(body.path("choices").get(0).path("finish_reason").asText(), end.path("finish_reason").asText());
        assertTrue(end.path("delta").isEmpty(), end.toString());
    }

    @Test
    void stopStringEndsTheTextBeforeIt() {
        String full = generateText("Once upon a time", 60);
        int at = full.indexOf("Lily");
        assertTrue(at > 0, full);
        HttpResponse<String> r = serve.post("/v1/completions",
                completion("Once upon a time", 60).replace("}", ",\"stop\":[\"zzz\",\"Lily\"]}"));
        JsonNode choice = ServeFixture.json(r.body()).path("choices").get(0);
        assertEquals(full.substring(0, at), choice.path("text").asText());
        assertEquals("stop", choice.path("finish_reason").asText());
    }

    @Test
    void sixteenConcurrentClientsEachGetTheirOwnAnswer() throws Exception {
        int clients = 16;
        List<String> bodies = new ArrayList<>();
        String[] prompts = {"Once upon a time", "Lily", "The cat", "Tom had a ball", "One day", "The sun"};
        for (int i = 0; i < clients; i++) {
            boolean greedy = i % 4 == 0;
            bodies.add(String.format(Locale.ROOT, "{\"prompt\":%s,\"max_tokens\":%d,\"temperature\":%s,"
                            + "\"top_p\":0.9,\"seed\":%d%s}", ServeFixture.JSON.valueToTree(prompts[i % prompts.length]),
                    20 + 3 * i, greedy ? "0" : "0.9", 1000 + i, i % 3 == 0 ? ",\"stream\":true" : ""));
        }
        List<String> alone = new ArrayList<>();
        for (String b : bodies) {
            alone.add(text(serve.post("/v1/completions", b)));
        }
        serve.gate.hold(); // let all 16 queue up, so that one step must carry them together
        CountDownLatch go = new CountDownLatch(1);
        double stepsBefore = serve.metric("numatp_batch_sequences_count");
        double sequencesBefore = serve.metric("numatp_batch_sequences_sum");
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<String>> answers = new ArrayList<>();
            for (String b : bodies) {
                answers.add(pool.submit(() -> {
                    go.await();
                    return text(serve.post("/v1/completions", b));
                }));
            }
            go.countDown();
            Scheduler scheduler = serve.server.scheduler();
            ServeFixture.await("16 requests in", Duration.ofSeconds(30),
                    () -> scheduler.queueDepth() + scheduler.running() == clients);
            serve.gate.open();
            for (int i = 0; i < clients; i++) {
                assertEquals(alone.get(i), answers.get(i).get(), "client " + i + ": " + bodies.get(i));
            }
        }
        double steps = serve.metric("numatp_batch_sequences_count") - stepsBefore;
        double sequences = serve.metric("numatp_batch_sequences_sum") - sequencesBefore;
        assertTrue(sequences > steps, "no step held two sequences: " + sequences + " over " + steps + " steps");
    }

    /** The completion text of a whole or streamed response. */
    static String text(HttpResponse<String> r) {
        assertEquals(200, r.statusCode(), r.body());
        if (r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream")) {
            return ServeFixture.streamedText(ServeFixture.events(r.body()));
        }
        return ServeFixture.json(r.body()).path("choices").get(0).path("text").asText();
    }

    @Test
    void modelsHealthAndMetricsAnswer() {
        JsonNode models = ServeFixture.json(serve.get("/v1/models").body());
        assertEquals("list", models.path("object").asText());
        assertEquals("stories260K", models.path("data").get(0).path("id").asText());
        assertEquals("model", models.path("data").get(0).path("object").asText());
        assertEquals(200, serve.get("/v1/models/stories260K").statusCode());
        HttpResponse<String> health = serve.get("/health");
        assertEquals(200, health.statusCode());
        assertEquals("ok", ServeFixture.json(health.body()).path("status").asText());
        serve.post("/v1/completions", completion("Hi", 3));
        String metrics = serve.get("/metrics").body();
        for (String name : List.of("numatp_http_requests_total{endpoint=\"/v1/completions\",status=\"200\"}",
                "numatp_prompt_tokens_total", "numatp_completion_tokens_total", "numatp_queue_depth",
                "numatp_running_sequences", "numatp_batch_sequences_bucket", "numatp_time_per_output_token_seconds_count",
                "numatp_time_to_first_token_seconds_count", "numatp_allreduce_share",
                "numatp_weight_bytes{kind=\"replicated\",node=\"0\"}")) {
            assertTrue(metrics.contains(name), name + " missing from\n" + metrics);
        }
    }
}
