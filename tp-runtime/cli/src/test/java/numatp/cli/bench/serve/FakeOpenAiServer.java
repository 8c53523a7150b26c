package numatp.cli.bench.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntPredicate;

/**
 * A tiny OpenAI-compatible server for tests: it streams {@link #tokens} chunks, the
 * first {@link #ttftMs} after the request arrived and each next one at least
 * {@link #itlMs} after the one before (never catching up after a late chunk, which
 * would put two chunks back to back), so the client's TTFT and ITL can be checked
 * against known delays. Knobs make it misbehave in the ways real servers do.
 */
public final class FakeOpenAiServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    public volatile String modelId = "fake-model";
    public volatile long ttftMs = 40;
    public volatile long itlMs = 10;
    public volatile int tokens = 8;
    /** {@code usage.prompt_tokens} = words of the prompt times this. */
    public volatile int tokensPerWord = 1;
    /** Send the usage chunk when asked for it with {@code stream_options}. */
    public volatile boolean usage = true;
    /** Answer 400 naming the field, as a strict server does, to {@code stream_options}. */
    public volatile boolean rejectStreamOptions;
    /** Requests (numbered from 0 in arrival order) answered 429. */
    public volatile IntPredicate rateLimited = n -> false;
    /** End the stream without {@code data: [DONE]}. */
    public volatile boolean omitDone;
    /** Stop sending after the first chunk, keeping the connection open. */
    public volatile boolean stall;
    /** Close the connection on completion requests without answering. */
    public volatile boolean hangUp;
    /** Serve a web page instead of the API everywhere. */
    public volatile boolean notOpenAi;

    public final AtomicInteger completionRequests = new AtomicInteger();
    public final List<JsonNode> bodies = new CopyOnWriteArrayList<>();

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "fake-openai");
        t.setDaemon(true);
        return t;
    });

    public FakeOpenAiServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    public URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    private void handle(HttpExchange exchange) throws IOException {
        long arrivalNs = System.nanoTime();
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            if (notOpenAi) {
                send(exchange, 200, "text/html", "<html><body>It works!</body></html>");
            } else if (path.equals("/v1/models") && exchange.getRequestMethod().equals("GET")) {
                send(exchange, 200, "application/json",
                        "{\"object\":\"list\",\"data\":[{\"id\":\"" + modelId + "\",\"object\":\"model\"}]}");
            } else if (path.equals("/v1/completions") || path.equals("/v1/chat/completions")) {
                complete(exchange, path.endsWith("chat/completions"), arrivalNs);
            } else {
                send(exchange, 404, "application/json", error("no route " + path, "not_found"));
            }
        }
    }

    private void complete(HttpExchange exchange, boolean chat, long arrivalNs) throws IOException {
        JsonNode body = JSON.readTree(exchange.getRequestBody());
        bodies.add(body);
        int n = completionRequests.getAndIncrement();
        if (hangUp) {
            return; // nothing sent: closing the exchange drops the connection
        }
        if (rejectStreamOptions && body.has("stream_options")) {
            send(exchange, 400, "application/json", error("Unrecognized request argument: stream_options",
                    "invalid_request_error"));
            return;
        }
        if (rateLimited.test(n)) {
            send(exchange, 429, "application/json", error("queue full", "rate_limit_exceeded"));
            return;
        }
        String text = chat ? body.path("messages").path(0).path("content").asText() : body.path("prompt").asText();
        int promptTokens = text.isBlank() ? 0 : text.strip().split("\\s+").length * tokensPerWord;
        boolean stream = body.path("stream").asBoolean(false);
        if (!stream) {
            waitUntil(arrivalNs, ttftMs + (tokens - 1) * itlMs);
            ObjectNode doc = JSON.createObjectNode().put("id", "cmpl-" + n).put("model", modelId);
            ObjectNode choice = doc.putArray("choices").addObject().put("index", 0).put("finish_reason", "length");
            StringBuilder all = new StringBuilder();
            for (int k = 0; k < tokens; k++) {
                all.append(" tok").append(k);
            }
            if (chat) {
                choice.putObject("message").put("role", "assistant").put("content", all.toString());
            } else {
                choice.put("text", all.toString());
            }
            if (usage) {
                usageOf(doc, promptTokens);
            }
            send(exchange, 200, "application/json", doc.toString());
            return;
        }
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
        exchange.sendResponseHeaders(200, 0);
        OutputStream out = exchange.getResponseBody();
        if (chat) {
            event(out, chunk(n, chat, null).toString()); // the role-only delta: no text, not a token
        }
        long sentNs = arrivalNs;
        for (int k = 0; k < tokens; k++) {
            waitUntil(sentNs, k == 0 ? ttftMs : itlMs);
            sentNs = System.nanoTime();
            event(out, chunk(n, chat, " tok" + k).toString());
            if (stall) {
                LockSupport.parkNanos(60_000_000_000L);
                return;
            }
        }
        ObjectNode last = chunk(n, chat, "");
        ((ObjectNode) last.get("choices").get(0)).put("finish_reason", "length");
        event(out, last.toString());
        if (usage && body.path("stream_options").path("include_usage").asBoolean(false)) {
            ObjectNode u = JSON.createObjectNode().put("id", "cmpl-" + n);
            u.putArray("choices");
            usageOf(u, promptTokens);
            event(out, u.toString());
        }
        if (!omitDone) {
            event(out, "[DONE]");
        }
    }

    private void usageOf(ObjectNode doc, int promptTokens) {
        doc.putObject("usage").put("prompt_tokens", promptTokens).put("completion_tokens", tokens)
                .put("total_tokens", promptTokens + tokens);
    }

    private ObjectNode chunk(int n, boolean chat, String text) {
        ObjectNode doc = JSON.createObjectNode().put("id", "cmpl-" + n).put("model", modelId);
        ObjectNode choice = doc.putArray("choices").addObject().put("index", 0);
        choice.putNull("finish_reason");
        if (chat) {
            ObjectNode delta = choice.putObject("delta");
            if (text == null) {
                delta.put("role", "assistant");
            } else {
                delta.put("content", text);
            }
        } else {
            choice.put("text", text == null ? "" : text);
        }
        return doc;
    }

    private static void event(OutputStream out, String data) throws IOException {
        out.write(("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static void waitUntil(long sinceNs, long afterMs) {
        long deadline = sinceNs + afterMs * 1_000_000L;
        long left;
        while ((left = deadline - System.nanoTime()) > 0) {
            LockSupport.parkNanos(left);
        }
    }

    private static String error(String message, String type) {
        ObjectNode doc = JSON.createObjectNode();
        doc.putObject("error").put("message", message).put("type", type);
        return doc.toString();
    }

    private static void send(HttpExchange exchange, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
