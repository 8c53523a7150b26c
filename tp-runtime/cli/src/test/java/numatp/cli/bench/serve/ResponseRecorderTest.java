package numatp.cli.bench.serve;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Timings from injected arrival times, so every figure is checked exactly. */
class ResponseRecorderTest {
    private static final long START = 1_000_000_000L;
    private static final long MS = 1_000_000L;

    private static String text(String t) {
        return "{\"id\":\"c\",\"choices\":[{\"index\":0,\"text\":\"" + t + "\",\"finish_reason\":null}]}";
    }

    private static String delta(String field, String value) {
        return "{\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"" + field + "\":\"" + value + "\"}}]}";
    }

    @Test
    void streamedCompletionGivesExactTtftGapsAndUsage() {
        ResponseRecorder r = new ResponseRecorder(Endpoint.COMPLETIONS, START);
        r.onEvent(text(" Once"), START + 50 * MS);
        r.onEvent(text(" upon"), START + 60 * MS);
        r.onEvent(text(""), START + 70 * MS); // an empty chunk is not a token
        r.onEvent(text(" a"), START + 75 * MS);
        r.onEvent(text(" time"), START + 95 * MS);
        r.onEvent("{\"id\":\"c\",\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":4}}",
                START + 96 * MS);
        r.onEvent("[DONE]", START + 97 * MS);
        assertTrue(r.finished());
        RequestResult result = r.result(START + 99 * MS, true);
        assertTrue(result.ok(), result.errorDetail());
        assertEquals(50 * MS, result.ttftNs());
        assertArrayEquals(new long[] {10 * MS, 15 * MS, 20 * MS}, result.itlNs());
        assertEquals(97 * MS, result.latencyNs());
        assertEquals(12, result.promptTokens());
        assertEquals(4, result.outputTokens());
        assertEquals((97 - 50) * MS / 3.0, result.tpotNs(), 1e-6);
    }

    @Test
    void chatRoleOnlyDeltaIsNotTheFirstToken() {
        ResponseRecorder r = new ResponseRecorder(Endpoint.CHAT, START);
        r.onEvent(delta("role", "assistant"), START + 2 * MS);
        r.onEvent(delta("content", "Hi"), START + 30 * MS);
        r.onEvent(delta("content", "!"), START + 33 * MS);
        r.onEvent("[DONE]", START + 40 * MS);
        RequestResult result = r.result(START + 41 * MS, true);
        assertTrue(result.ok(), result.errorDetail());
        assertEquals(30 * MS, result.ttftNs());
        assertArrayEquals(new long[] {3 * MS}, result.itlNs());
        assertEquals(2, result.outputTokens(), "no usage: text chunks counted");
        assertEquals(-1, result.promptTokens());
    }

    @Test
    void errorObjectMidStreamFailsTheRequestWithTheServersMessage() {
        ResponseRecorder r = new ResponseRecorder(Endpoint.COMPLETIONS, START);
        r.onEvent(text("a"), START + MS);
        r.onEvent("{\"error\":{\"message\":\"KV cache exhausted\",\"type\":\"server_error\"}}", START + 2 * MS);
        RequestResult result = r.result(START + 3 * MS, true);
        assertFalse(result.ok());
        assertEquals("stream error", result.error());
        assertTrue(result.errorDetail().contains("KV cache exhausted"), result.errorDetail());
    }

    @Test
    void notOpenAiChunksAndMissingDoneAreFailures() {
        ResponseRecorder notJson = new ResponseRecorder(Endpoint.COMPLETIONS, START);
        notJson.onEvent("hello there", START + MS);
        assertEquals("invalid response", notJson.result(START + 2 * MS, true).error());
        assertTrue(notJson.result(START + 2 * MS, true).errorDetail().contains("hello there"));

        ResponseRecorder noChoices = new ResponseRecorder(Endpoint.COMPLETIONS, START);
        noChoices.onEvent("{\"token\":\"a\"}", START + MS);
        assertEquals("invalid response", noChoices.result(START + 2 * MS, true).error());

        ResponseRecorder cut = new ResponseRecorder(Endpoint.COMPLETIONS, START);
        cut.onEvent(text("a"), START + MS);
        RequestResult result = cut.result(START + 2 * MS, true);
        assertEquals("incomplete stream", result.error());
        assertTrue(result.errorDetail().contains("without data: [DONE] after 1 text chunks"), result.errorDetail());
    }

    @Test
    void wholeBodyAnswerHasLatencyButNoTokenTimes() {
        ResponseRecorder r = new ResponseRecorder(Endpoint.CHAT, START);
        r.onBody("{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hi\"}}],"
                + "\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":3}}", START + 80 * MS);
        RequestResult result = r.result(START + 81 * MS, false);
        assertTrue(result.ok(), result.errorDetail());
        assertEquals(80 * MS, result.latencyNs());
        assertEquals(-1, result.ttftNs());
        assertEquals(-1, result.tpotNs());
        assertEquals(3, result.outputTokens());

        ResponseRecorder wrongShape = new ResponseRecorder(Endpoint.COMPLETIONS, START);
        wrongShape.onBody("{\"result\":\"Hi\"}", START + MS);
        assertEquals("invalid response", wrongShape.result(START + MS, false).error());
    }

    @Test
    void sseReaderJoinsDataLinesAndSkipsCommentsAndOtherFields() throws IOException {
        String stream = ": keep-alive\n\nevent: message\nid: 1\ndata: {\"a\":\ndata:1}\n\nretry: 10\ndata:[DONE]\n\n"
                + "data: trailing without blank line";
        SseReader reader = new SseReader(new BufferedReader(new StringReader(stream)));
        List<String> events = new ArrayList<>();
        String e;
        while ((e = reader.next()) != null) {
            events.add(e);
            assertTrue(reader.eventNs() > 0);
        }
        assertEquals(List.of("{\"a\":\n1}", "[DONE]", "trailing without blank line"), events);
    }
}
