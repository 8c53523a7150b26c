package numatp.cli.bench.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.Arrays;

/**
 * Turns the answer to one completion request into a {@link RequestResult}: either a
 * stream of server-sent event payloads, each with the time it arrived
 * ({@link #onEvent}), or one JSON body ({@link #onBody}). Text-bearing chunks set
 * the time to first token and the inter-token gaps; a {@code usage} object gives the
 * token counts; {@code data: [DONE]} ends the request. Anything that is not the
 * OpenAI shape fails the request with a message saying what came instead.
 */
final class ResponseRecorder {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int SHOWN_CHARS = 120;

    private final Endpoint endpoint;
    private final long startNs;
    private long firstTextNs = -1;
    private long lastTextNs = -1;
    private long[] gapsNs = new long[64];
    private int gapCount;
    private int textChunks;
    private int promptTokens = -1;
    private int completionTokens = -1;
    private long doneNs = -1;
    private String error;
    private String errorDetail;

    ResponseRecorder(Endpoint endpoint, long startNs) {
        this.endpoint = endpoint;
        this.startNs = startNs;
    }

    /** True once the stream said {@code [DONE]} or the request failed: nothing more is read. */
    boolean finished() {
        return doneNs >= 0 || error != null;
    }

    /** One server-sent event's data, arrived at {@code nowNs}. */
    void onEvent(String data, long nowNs) {
        if (finished()) {
            return;
        }
        if (data.strip().equals("[DONE]")) {
            doneNs = nowNs;
            return;
        }
        JsonNode chunk = parse(data, "stream chunk");
        if (chunk == null) {
            return;
        }
        if (chunk.hasNonNull("error")) {
            fail("stream error", "the server reported an error mid-stream: " + errorMessage(chunk));
            return;
        }
        readUsage(chunk);
        JsonNode choices = chunk.get("choices");
        if (choices == null || !choices.isArray()) {
            if (!chunk.hasNonNull("usage")) {
                fail("invalid response", "stream chunk has no choices: " + shorten(data));
            }
            return;
        }
        if (choices.isEmpty()) {
            return; // the usage chunk of stream_options.include_usage has "choices": []
        }
        JsonNode choice = choices.get(0);
        JsonNode text = endpoint == Endpoint.CHAT ? choice.path("delta").get("content") : choice.get("text");
        if (text != null && text.isTextual() && !text.asText().isEmpty()) {
            if (firstTextNs < 0) {
                firstTextNs = nowNs;
            } else {
                if (gapCount == gapsNs.length) {
                    gapsNs = Arrays.copyOf(gapsNs, gapCount * 2);
                }
                gapsNs[gapCount++] = nowNs - lastTextNs;
            }
            lastTextNs = nowNs;
            textChunks++;
        }
    }

    /** A whole (not streamed) JSON answer, complete at {@code nowNs}. */
    void onBody(String body, long nowNs) {
        JsonNode doc = parse(body, "response");
        if (doc == null) {
            return;
        }
        if (doc.hasNonNull("error")) {
            fail("invalid response", "the server answered 200 with an error: " + errorMessage(doc));
            return;
        }
        JsonNode choice = doc.path("choices").path(0);
        JsonNode text = endpoint == Endpoint.CHAT ? choice.path("message").get("content") : choice.get("text");
        if (text == null || !text.isTextual()) {
            fail("invalid response", "response has no choices[0]." + (endpoint == Endpoint.CHAT ? "message.content" : "text")
                    + ": " + shorten(body));
            return;
        }
        readUsage(doc);
        doneNs = nowNs;
    }

    /** Fails the request (first failure wins). */
    void fail(String error, String detail) {
        if (this.error == null) {
            this.error = error;
            this.errorDetail = detail;
        }
    }

    /** The result once the body ended (or was cut off) at {@code endNs}. */
    RequestResult result(long endNs, boolean streamed) {
        if (error == null && doneNs < 0) {
            fail(streamed ? "incomplete stream" : "invalid response",
                    streamed ? "the stream ended without data: [DONE] after " + textChunks + " text chunks"
                            : "empty response body");
        }
        if (error != null) {
            return RequestResult.failed(error, errorDetail, startNs, endNs);
        }
        int output = completionTokens >= 0 ? completionTokens : streamed ? textChunks : -1;
        return new RequestResult(null, null, startNs, doneNs, firstTextNs < 0 ? -1 : firstTextNs - startNs,
                Arrays.copyOf(gapsNs, gapCount), promptTokens, output, streamed);
    }

    private void readUsage(JsonNode doc) {
        JsonNode usage = doc.get("usage");
        if (usage != null && usage.isObject()) {
            if (usage.path("prompt_tokens").canConvertToInt()) {
                promptTokens = usage.get("prompt_tokens").asInt();
            }
            if (usage.path("completion_tokens").canConvertToInt()) {
                completionTokens = usage.get("completion_tokens").asInt();
            }
        }
    }

    private JsonNode parse(String text, String what) {
        try {
            JsonNode node = JSON.readTree(text);
            if (node != null && node.isObject()) {
                return node;
            }
        } catch (JsonProcessingException e) {
            // reported below
        }
        fail("invalid response", what + " is not a JSON object: " + shorten(text));
        return null;
    }

    /** The message of an OpenAI error object ({@code {"error": {"message": ...}}}), else the JSON itself. */
    static String errorMessage(JsonNode doc) {
        JsonNode e = doc.get("error");
        if (e != null && e.isObject() && e.path("message").isTextual()) {
            return e.get("message").asText();
        }
        if (e != null && e.isTextual()) {
            return e.asText();
        }
        return shorten(doc.toString());
    }

    static String shorten(String text) {
        String oneLine = text.strip().replaceAll("\\s+", " ");
        return oneLine.length() <= SHOWN_CHARS ? oneLine : oneLine.substring(0, SHOWN_CHARS) + "...";
    }
}
