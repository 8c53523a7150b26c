package numatp.server;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every kind of bad request gets its 4xx and an OpenAI error object naming the field;
 * none gets a 500, and the server keeps serving afterwards.
 */
@Timeout(60)
class ApiErrorsTest {
    static final int BODY_LIMIT = 4096;
    static ServeFixture serve;

    @BeforeAll
    static void start() {
        serve = ServeFixture.stories(2, false, ServeConfig.defaults(ServeFixture.MODEL_ID, 0)
                .withMaxRequestBytes(BODY_LIMIT));
    }

    @AfterAll
    static void stop() {
        if (serve != null) {
            serve.close();
        }
    }

    static Stream<Arguments> badBodies() {
        String c = "/v1/completions";
        String chat = "/v1/chat/completions";
        return Stream.of(
                // path, body, status, param (null: none), code (null: none)
                Arguments.of(c, "{\"prompt\": \"x\",", 400, null, "invalid_json"),
                Arguments.of(c, "{\"prompt\": \"x\"} trailing", 400, null, "invalid_json"),
                Arguments.of(c, "{\"prompt\": \"x\", \"prompt\": \"y\"}", 400, null, "invalid_json"),
                Arguments.of(c, "", 400, null, null),
                Arguments.of(c, "[1, 2]", 400, null, null),
                Arguments.of(c, "\"just a string\"", 400, null, null),
                Arguments.of(c, "{}", 400, "prompt", null),
                Arguments.of(c, "{\"prompt\": 5}", 400, "prompt", null),
                Arguments.of(c, "{\"prompt\": {\"text\": \"x\"}}", 400, "prompt", null),
                Arguments.of(c, "{\"prompt\": \"\"}", 400, "prompt", null),
                Arguments.of(c, "{\"prompt\": []}", 400, "prompt", null),
                Arguments.of(c, "{\"prompt\": [\"a\", \"b\"]}", 400, "prompt", "unsupported_parameter"),
                Arguments.of(c, "{\"prompt\": [1, 99999]}", 400, "prompt", null),
                Arguments.of(c, "{\"prompt\": \"x\", \"max_tokens\": \"10\"}", 400, "max_tokens", null),
                Arguments.of(c, "{\"prompt\": \"x\", \"max_tokens\": 1.5}", 400, "max_tokens", null),
                Arguments.of(c, "{\"prompt\": \"x\", \"max_tokens\": 0}", 400, "max_tokens", null),
                Arguments.of(c, "{\"prompt\": \"x\", \"max_tokens\": 100000}", 400, "max_tokens",
                        "context_length_exceeded"),
                Arguments.of(c, "{\"prompt\": \"x\", \"max_tokens\": 512}", 400, "max_tokens",
                        "context_length_exceeded"),
                Arguments.of(c, "{\"prompt\": \"" + "a ".repeat(1000) + "\"}", 400, "prompt",
                        "context_length_exceeded"),
                Arguments.of(c, "{\"prompt\": \"x\", \"temperature\": \"hot\"}", 400, "temperature", null),
                Arguments.of(c, "{\"prompt\": \"x\", \"temperature\": -1}", 400, "temperature", null),
                Arguments.of(c, "{\"prompt\": \"x\", \"top_p\": 1.5}", 400, "top_p", null),
                Arguments.of(c, "{\"prompt\": \"x\", \"top_k\": -5}", 400, "top_k", null),
                Arguments.of(c, "{\"prompt\": \"x\", \"seed\": 1.5}", 400, "seed", null),
                Arguments.of(c, "{\"prompt\": \"x\", \"seed\": 123456789012345678901234567890}", 400, "seed", null),
                Arguments.of(c, "{\"prompt\": \"x\", \"stream\": \"yes\"}", 400, "stream", null),
                Arguments.of(c, "{\"prompt\": \"x\", \"stream\": true, \"stream_options\": 3}", 400, "stream_options",
                        null),
                Arguments.of(c, "{\"prompt\": \"x\", \"stop\": 5}", 400, "stop", null),
                Arguments.of(c, "{\"prompt\": \"x\", \"stop\": [\"a\", 5]}", 400, "stop[1]", null),
                Arguments.of(c, "{\"prompt\": \"x\", \"stop\": [\"a\",\"b\",\"c\",\"d\",\"e\"]}", 400, "stop", null),
                Arguments.of(c, "{\"prompt\": \"x\", \"stop\": \"\"}", 400, "stop", null),
                Arguments.of(c, "{\"prompt\": \"x\", \"model\": 7}", 400, "model", null),
                Arguments.of(c, "{\"prompt\": \"x\", \"n\": 2}", 400, "n", "unsupported_parameter"),
                Arguments.of(c, "{\"prompt\": \"x\", \"n\": \"one\"}", 400, "n", null),
                Arguments.of(c, "{\"prompt\": \"x\", \"best_of\": 3}", 400, "best_of", "unsupported_parameter"),
                Arguments.of(c, "{\"prompt\": \"x\", \"echo\": true}", 400, "echo", "unsupported_parameter"),
                Arguments.of(c, "{\"prompt\": \"x\", \"logprobs\": 5}", 400, "logprobs", "unsupported_parameter"),
                // issue 19: a number past 64 bits used to be read modulo 2^64 (this one as 0)
                Arguments.of(c, "{\"prompt\": \"x\", \"logprobs\": 18446744073709551616}", 400, "logprobs",
                        "unsupported_parameter"),
                Arguments.of(c, "{\"prompt\": \"x\", \"max_tokens\": 18446744073709551617}", 400, "max_tokens", null),
                Arguments.of(c, "{\"prompt\": \"x\", \"n\": 18446744073709551617}", 400, "n", null),
                Arguments.of(c, "{\"prompt\": [18446744073709551617, 5]}", 400, "prompt", null),
                Arguments.of(c, "{\"prompt\": \"x\", \"suffix\": \"end\"}", 400, "suffix", "unsupported_parameter"),
                Arguments.of(c, "{\"prompt\": \"x\", \"presence_penalty\": 0.5}", 400, "presence_penalty",
                        "unsupported_parameter"),
                Arguments.of(c, "{\"prompt\": \"x\", \"frequency_penalty\": \"lots\"}", 400, "frequency_penalty",
                        null),
                Arguments.of(c, "{\"prompt\": \"x\", \"logit_bias\": {\"5\": 10}}", 400, "logit_bias",
                        "unsupported_parameter"),
                Arguments.of(chat, "{}", 400, "messages", null),
                Arguments.of(chat, "{\"messages\": \"hi\"}", 400, "messages", null),
                Arguments.of(chat, "{\"messages\": []}", 400, "messages", null),
                Arguments.of(chat, "{\"messages\": [\"hi\"]}", 400, "messages[0]", null),
                Arguments.of(chat, "{\"messages\": [{\"content\": \"hi\"}]}", 400, "messages[0].role", null),
                Arguments.of(chat, "{\"messages\": [{\"role\": 5, \"content\": \"hi\"}]}", 400, "messages[0].role",
                        null),
                Arguments.of(chat, "{\"messages\": [{\"role\": \"tool\", \"content\": \"hi\"}]}", 400,
                        "messages[0].role", "unsupported_parameter"),
                Arguments.of(chat, "{\"messages\": [{\"role\": \"user\", \"content\": 5}]}", 400,
                        "messages[0].content", null),
                Arguments.of(chat, "{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"image_url\"}]}]}",
                        400, "messages[0].content[0].type", "unsupported_parameter"),
                Arguments.of(chat, "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_completion_tokens\":"
                        + " 100000}", 400, "max_completion_tokens", "context_length_exceeded"),
                Arguments.of(chat, "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"tools\": [{}]}", 400,
                        "tools", "unsupported_parameter"),
                Arguments.of(chat, "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"logprobs\": true}",
                        400, "logprobs", "unsupported_parameter"),
                Arguments.of(chat, "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"response_format\":"
                        + " {\"type\": \"json_object\"}}", 400, "response_format", "unsupported_parameter"),
                Arguments.of(c, "{\"prompt\": \"x\", \"model\": \"gpt-4\"}", 404, null, "model_not_found"));
    }

    @ParameterizedTest(name = "{0} {1} -> {2}")
    @MethodSource("badBodies")
    void badRequestGetsAnOpenAiError(String path, String body, int status, String param, String code) {
        HttpResponse<String> r = serve.post(path, body);
        assertError(r, status, param, code);
    }

    @Test
    void invalidUtf8IsMalformedJson() {
        byte[] body = {'{', '"', 'p', 'r', 'o', 'm', 'p', 't', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
        HttpResponse<String> r = serve.send(HttpRequest.newBuilder(serve.base.resolve("/v1/completions"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());
        assertError(r, 400, null, "invalid_json");
    }

    /** Issue 19: overlong forms, surrogates and code points past U+10FFFF used to answer 200. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"C0 AF", "E0 80 AF", "ED A0 80", "ED BF BF", "F4 90 80 80", "F8 88 80 80 80", "80", "FF"})
    void invalidUtf8IsRefusedWithItsByteOffset(String hex) {
        byte[] head = "{\"prompt\": \"ab".getBytes(StandardCharsets.US_ASCII);
        String[] parts = hex.split(" ");
        byte[] body = new byte[head.length + parts.length + 2];
        System.arraycopy(head, 0, body, 0, head.length);
        for (int i = 0; i < parts.length; i++) {
            body[head.length + i] = (byte) Integer.parseInt(parts[i], 16);
        }
        body[body.length - 2] = '"';
        body[body.length - 1] = '}';
        HttpResponse<String> r = serve.send(HttpRequest.newBuilder(serve.base.resolve("/v1/completions"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());
        assertError(r, 400, null, "invalid_json");
        assertTrue(r.body().contains("byte offset " + head.length), r.body());
    }

    /**
     * Issue 19: a 413 decided from Content-Length used to close the connection on the unread
     * body, so a client that writes its whole body before reading saw a reset, not the 413.
     */
    @Test
    void oversizedBodyWrittenWholeBeforeReadingStillGets413() throws Exception {
        byte[] body = new byte[512 * 1024];
        java.util.Arrays.fill(body, (byte) 'a');
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), serve.base.getPort())) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(response.startsWith("HTTP/1.1 413 "), response);
            assertTrue(response.toLowerCase(java.util.Locale.ROOT).contains("connection: close"), response);
            assertTrue(response.contains("\"request_too_large\""), response);
        }
        assertEquals(200, serve.get("/health").statusCode());
    }

    @Test
    void oversizedBodyIs413() {
        String body = "{\"prompt\": \"" + "a".repeat(BODY_LIMIT) + "\"}";
        assertError(serve.post("/v1/completions", body), 413, null, "request_too_large");
    }

    @Test
    void wrongMethodIs405WithAllow() {
        HttpResponse<String> r = serve.get("/v1/completions");
        assertError(r, 405, null, "method_not_allowed");
        assertEquals("POST", r.headers().firstValue("Allow").orElse(""));
        HttpResponse<String> d = serve.send(HttpRequest.newBuilder(serve.base.resolve("/v1/models")).DELETE().build());
        assertError(d, 405, null, "method_not_allowed");
        assertEquals("GET", d.headers().firstValue("Allow").orElse(""));
    }

    @Test
    void unknownPathIs404() {
        assertError(serve.get("/v1/engines"), 404, null, "unknown_url");
        assertError(serve.post("/v2/completions", "{}"), 404, null, "unknown_url");
        assertError(serve.get("/v1/models/other"), 404, null, "model_not_found");
    }

    @Test
    void unknownFieldsAreIgnoredAndNoOpValuesOfUnsupportedOnesAccepted() {
        HttpResponse<String> r = serve.post("/v1/completions", "{\"prompt\": \"Once\", \"max_tokens\": 3,"
                + " \"user\": \"u1\", \"vendor_extra\": {\"a\": [1]}, \"n\": 1, \"best_of\": 1, \"echo\": false,"
                + " \"logprobs\": null, \"presence_penalty\": 0, \"frequency_penalty\": 0.0, \"logit_bias\": {},"
                + " \"suffix\": null, \"stop\": null, \"seed\": 0, \"top_k\": 40, \"model\": \"stories260K\"}");
        assertEquals(200, r.statusCode(), r.body());
        HttpResponse<String> chat = serve.post("/v1/chat/completions", "{\"messages\": [{\"role\": \"developer\","
                + " \"content\": \"Be brief.\"}, {\"role\": \"user\", \"content\": \"Hi\", \"name\": \"ann\"},"
                + " {\"role\": \"assistant\", \"content\": null}, {\"role\": \"user\", \"content\": \"Story?\"}],"
                + " \"max_completion_tokens\": 3, \"tools\": [], \"tool_choice\": \"none\", \"logprobs\": false,"
                + " \"response_format\": {\"type\": \"text\"}, \"stream\": false}");
        assertEquals(200, chat.statusCode(), chat.body());
    }

    static void assertError(HttpResponse<String> r, int status, String param, String code) {
        assertEquals(status, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        JsonNode root = ServeFixture.json(new String(r.body().getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8));
        assertEquals(1, root.size(), r.body());
        JsonNode error = root.path("error");
        assertEquals(4, error.size(), r.body());
        assertFalse(error.path("message").asText().isBlank(), r.body());
        assertFalse(error.path("message").asText().contains("Exception"), r.body());
        assertEquals(status == 429 ? "rate_limit_error" : status >= 500 ? "server_error" : "invalid_request_error",
                error.path("type").asText(), r.body());
        if (param == null) {
            assertTrue(error.path("param").isNull(), r.body());
        } else {
            assertEquals(param, error.path("param").asText(), r.body());
        }
        if (code == null) {
            assertTrue(error.path("code").isNull(), r.body());
        } else {
            assertEquals(code, error.path("code").asText(), r.body());
        }
    }
}
