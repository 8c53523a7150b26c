package numatp.server;

import com.fasterxml.jackson.databind.JsonNode;
import numatp.models.GgufTokenizers;
import numatp.models.tokenizer.TextTokenizer;
import numatp.topology.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@code /v1/chat/completions} over HTTP with the qwen2-shape file's byte-level BPE
 * vocabulary and its own ChatML template, on a {@link ScriptedEngine} (numatp's engine
 * runs Llama only): the prompt is the template's, the reply's text is decoded from BPE
 * tokens that split characters, and it ends at the end of turn written as text (GPT-2's
 * vocabulary has no {@code <|im_end|>} token) or at EOS.
 */
@Timeout(60)
class BpeChatServeTest {
    private static final String CHAT = "{\"messages\": [{\"role\": \"system\", \"content\": \"You are terse.\"},"
            + " {\"role\": \"user\", \"content\": \"Hi!\"}], \"temperature\": 0, \"max_tokens\": 40}";

    @Test
    void chatOnTheQwen2ShapeVocabularyAndTemplate() throws Exception {
        Path file = SharedData.require("models", "realshapes", "qwen2-shape.f16.gguf");
        TextTokenizer tok = GgufTokenizers.open(file);
        ChatTemplate chat = ChatTemplate.forModel(file, null, tok);
        int[] prompt = chat.encode(List.of(new ChatTemplate.Message("system", "You are terse."),
                new ChatTemplate.Message("user", "Hi!")), tok);
        String reply = "Héllo 🦙 wörld";
        int[] stopAtTurnEnd = IntStream.concat(IntStream.of(tok.encode(reply + "<|im_end|>\nmore", false, false)),
                IntStream.of(50256)).toArray();
        assertEquals(reply, post(tok, chat, stopAtTurnEnd, prompt.length));
        int[] stopAtEos = IntStream.concat(IntStream.of(tok.encode(reply, false, false)), IntStream.of(50256, 40))
                .toArray();
        assertEquals(reply, post(tok, chat, stopAtEos, prompt.length));
    }

    private static String post(TextTokenizer tok, ChatTemplate chat, int[] script, int promptTokens) throws Exception {
        ScriptedEngine engine = new ScriptedEngine(tok.vocabSize(), 2, 512, script);
        try (InferenceServer server = InferenceServer.start(engine, tok, chat, ServeConfig.defaults("qwen2-shape", 0),
                List.of(new ServeMetrics.NodeWeights(0, 1, 2)));
             HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build()) {
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(server.url() + "/v1/chat/completions"))
                    .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30))
                    .POST(HttpRequest.BodyPublishers.ofString(CHAT)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            JsonNode body = ServeFixture.json(r.body());
            assertEquals("stop", body.path("choices").path(0).path("finish_reason").asText(), r.body());
            assertEquals(promptTokens, body.path("usage").path("prompt_tokens").asInt(), r.body());
            return body.path("choices").path(0).path("message").path("content").asText();
        }
    }
}
