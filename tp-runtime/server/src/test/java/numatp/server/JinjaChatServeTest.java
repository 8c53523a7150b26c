package numatp.server;

import com.fasterxml.jackson.databind.JsonNode;
import numatp.server.ChatTemplate.Message;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.http.HttpResponse;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code /v1/chat/completions} end to end with a Jinja template, over stories260K (the
 * real model numatp's engine runs here): the template builds the prompt, and a template
 * that refuses or breaks on a conversation answers 400 with its own message, never 500.
 */
@Timeout(120)
class JinjaChatServeTest {
    static final String TEMPLATE = "{%- for m in messages %}"
            + "{%- if m.content == 'refuse me' %}{{ raise_exception('I refuse a ' + m.role + ' message') }}{% endif %}"
            + "{%- if m.content == 'break me' %}{{ m.content.zfill(9) }}{% endif %}"
            + "{{- bos_token if loop.first }}{{ m.role.upper() + ': ' + m.content.strip() + '\\n' }}"
            + "{%- endfor %}{{ 'ASSISTANT:' if add_generation_prompt }}";

    private static String chat(String content) {
        return "{\"messages\": [{\"role\": \"system\", \"content\": \"Tell stories.\"}, {\"role\": \"user\","
                + " \"content\": \"" + content + "\"}], \"max_tokens\": 6, \"temperature\": 0}";
    }

    @Test
    void chatPromptComesFromTheTemplateAndItsFailuresAre400() {
        ChatTemplate[] used = new ChatTemplate[1];
        try (ServeFixture serve = ServeFixture.stories(1, 2, false, ServeConfig.defaults(ServeFixture.MODEL_ID, 0),
                tok -> used[0] = ChatTemplate.forModel(TEMPLATE, tok, SpecialTokens.of(tok, null)))) {
            assertTrue(used[0].runsJinja(), used[0].describe());
            List<Message> messages = List.of(new Message("system", "Tell stories."),
                    new Message("user", " Once upon a time "));
            assertEquals("<s>SYSTEM: Tell stories.\nUSER: Once upon a time\nASSISTANT:", used[0].render(messages));
            int promptTokens = used[0].encode(messages, ChatTemplateTest.tok512()).length;

            HttpResponse<String> ok = serve.post("/v1/chat/completions", chat(" Once upon a time "));
            assertEquals(200, ok.statusCode(), ok.body());
            JsonNode body = ServeFixture.json(ok.body());
            assertEquals(promptTokens, body.path("usage").path("prompt_tokens").asInt(), ok.body());
            assertEquals(1, ChatTemplateTest.tok512().encode("x", true, false)[0], "tok512 adds BOS");
            assertTrue(body.path("usage").path("completion_tokens").asInt() >= 1, ok.body());

            HttpResponse<String> refused = serve.post("/v1/chat/completions", chat("refuse me"));
            assertEquals(400, refused.statusCode(), refused.body());
            JsonNode error = ServeFixture.json(refused.body()).path("error");
            assertEquals("the model's chat template refuses these messages: I refuse a user message",
                    error.path("message").asText());
            assertEquals("messages", error.path("param").asText());
            assertEquals("chat_template_error", error.path("code").asText());

            HttpResponse<String> broken = serve.post("/v1/chat/completions", chat("break me"));
            assertEquals(400, broken.statusCode(), broken.body());
            assertTrue(ServeFixture.json(broken.body()).path("error").path("message").asText()
                    .contains("str has no method zfill()"), broken.body());

            // The server still serves after the failures.
            assertEquals(200, serve.post("/v1/chat/completions", chat("Hi")).statusCode());
        }
    }
}
