package numatp.cli.bench.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Speaks the OpenAI wire format to one server over HTTP/1.1: asks {@code GET /v1/models}
 * for the model id and sends completion requests, timing them with a
 * {@link ResponseRecorder}. Safe for concurrent use by the benchmark's workers.
 *
 * <p>A request that runs past the request timeout is cut off: a watchdog closes its
 * body stream, which wakes the blocked reader. Streamed requests ask for
 * {@code stream_options.include_usage}; a server that rejects that field (400 naming
 * it) is asked again without it, once, and never again.
 */
public final class OpenAiClient implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int ERROR_BODY_CHARS = 4096;

    private final ServeBenchConfig config;
    private final HttpClient http;
    private final ScheduledExecutorService watchdog;
    private final AtomicBoolean includeUsage = new AtomicBoolean(true);

    public OpenAiClient(ServeBenchConfig config) {
        this.config = config;
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofMillis(Math.min(10_000, config.requestTimeoutMs())))
                .build();
        this.watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "bench-serve-watchdog");
            t.setDaemon(true);
            return t;
        });
    }

    /** The id of the first model {@code GET /v1/models} lists. */
    public String modelId() throws InterruptedException {
        URI uri = config.resolve("/v1/models");
        HttpResponse<String> response;
        CompletableFuture<HttpResponse<String>> answer = http.sendAsync(HttpRequest.newBuilder(uri)
                .timeout(Duration.ofMillis(config.requestTimeoutMs())).header("Accept", "application/json").GET()
                .build(), HttpResponse.BodyHandlers.ofString());
        try {
            // the whole answer, not only its headers, within the request timeout
            response = answer.get(config.requestTimeoutMs(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            answer.cancel(true);
            throw new ServeBenchException("GET " + uri + " did not answer within " + config.requestTimeoutMs()
                    + " ms (--request-timeout)");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            String reason = cause instanceof IOException io ? describe(io) : String.valueOf(cause);
            if (cause instanceof HttpTimeoutException && !(cause instanceof HttpConnectTimeoutException)) {
                throw new ServeBenchException("GET " + uri + " did not answer within " + config.requestTimeoutMs()
                        + " ms (--request-timeout)");
            }
            throw new ServeBenchException("cannot reach the server at " + config.baseUrl() + " (--url): " + reason
                    + "; is tp serve running there?", cause);
        }
        String body = response.body();
        if (response.statusCode() != 200) {
            throw new ServeBenchException("GET " + uri + " answered HTTP " + response.statusCode() + ": "
                    + errorText(body) + "; is --url an OpenAI-compatible server? (or name the model with --model)");
        }
        try {
            JsonNode id = JSON.readTree(body).path("data").path(0).path("id");
            if (id.isTextual() && !id.asText().isBlank()) {
                return id.asText();
            }
        } catch (JsonProcessingException e) {
            // reported below
        }
        throw new ServeBenchException("GET " + uri + " did not answer like an OpenAI server (expected "
                + "{\"data\": [{\"id\": ...}]}): " + ResponseRecorder.shorten(body));
    }

    /**
     * The body of {@code GET path} when the server answers 200 within the request timeout, else
     * null: for what only some servers publish ({@code tp serve}'s replicas), never an error.
     */
    public String getOrNull(String path) throws InterruptedException {
        try {
            HttpResponse<String> r = http.sendAsync(HttpRequest.newBuilder(config.resolve(path))
                    .timeout(Duration.ofMillis(config.requestTimeoutMs())).GET().build(),
                    HttpResponse.BodyHandlers.ofString()).get(config.requestTimeoutMs(), TimeUnit.MILLISECONDS);
            return r.statusCode() == 200 ? r.body() : null;
        } catch (ExecutionException | TimeoutException e) {
            return null;
        }
    }

    /** Sends one completion request and waits for all of its answer. */
    public RequestResult complete(String model, String prompt, int maxTokens, long seed) throws InterruptedException {
        boolean usage = includeUsage.get();
        RequestResult result = send(model, prompt, maxTokens, seed, usage);
        if (usage && result.error() != null && result.error().equals("HTTP 400")
                && result.errorDetail().contains("stream_options")) {
            includeUsage.set(false);
            result = send(model, prompt, maxTokens, seed, false);
        }
        return result;
    }

    /** Whether streamed requests still ask for {@code stream_options.include_usage}. */
    public boolean asksForUsage() {
        return config.stream() && includeUsage.get();
    }

    private RequestResult send(String model, String prompt, int maxTokens, long seed, boolean usage)
            throws InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(config.resolve(config.endpoint().path()))
                .timeout(Duration.ofMillis(config.requestTimeoutMs()))
                .header("Content-Type", "application/json")
                .header("Accept", config.stream() ? "text/event-stream" : "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(requestBody(model, prompt, maxTokens, seed, usage)))
                .build();
        long startNs = System.nanoTime();
        long deadlineNs = startNs + config.requestTimeoutMs() * 1_000_000L;
        HttpResponse<InputStream> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (HttpConnectTimeoutException e) {
            return RequestResult.failed("connection timeout", describe(e), startNs, System.nanoTime());
        } catch (HttpTimeoutException e) {
            return RequestResult.failed("timeout", "no answer within " + config.requestTimeoutMs() + " ms", startNs,
                    System.nanoTime());
        } catch (IOException e) {
            return RequestResult.failed(e instanceof ConnectException ? "connection refused" : "connection error",
                    describe(e), startNs, System.nanoTime());
        }
        AtomicBoolean timedOut = new AtomicBoolean();
        InputStream body = response.body();
        ScheduledFuture<?> cutOff = watchdog.schedule(() -> {
            timedOut.set(true);
            closeQuietly(body);
        }, Math.max(0, deadlineNs - System.nanoTime()), TimeUnit.NANOSECONDS);
        try (body) {
            if (response.statusCode() != 200) {
                String text = readLimited(body);
                return RequestResult.failed("HTTP " + response.statusCode(), errorText(text), startNs,
                        System.nanoTime());
            }
            ResponseRecorder recorder = new ResponseRecorder(config.endpoint(), startNs);
            String type = response.headers().firstValue("Content-Type").orElse("").toLowerCase(Locale.ROOT);
            boolean streamed = type.contains("text/event-stream") || (config.stream() && !type.contains("json"));
            BufferedReader reader = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8));
            if (streamed) {
                SseReader events = new SseReader(reader);
                String data;
                while (!recorder.finished() && (data = events.next()) != null) {
                    recorder.onEvent(data, events.eventNs());
                }
                RequestResult result = recorder.result(System.nanoTime(), true);
                if (result.ok()) {
                    drainQuietly(reader);
                }
                return result;
            }
            recorder.onBody(readAll(reader), System.nanoTime());
            return recorder.result(System.nanoTime(), false);
        } catch (IOException e) {
            if (timedOut.get()) {
                return RequestResult.failed("timeout", "the answer did not end within " + config.requestTimeoutMs()
                        + " ms", startNs, System.nanoTime());
            }
            return RequestResult.failed("connection error", describe(e), startNs, System.nanoTime());
        } finally {
            cutOff.cancel(false);
        }
    }

    private String requestBody(String model, String prompt, int maxTokens, long seed, boolean usage) {
        ObjectNode body = JSON.createObjectNode();
        body.put("model", model);
        if (config.endpoint() == Endpoint.CHAT) {
            body.putArray("messages").addObject().put("role", "user").put("content", prompt);
        } else {
            body.put("prompt", prompt);
        }
        body.put("max_tokens", maxTokens);
        body.put("temperature", config.temperature());
        body.put("seed", seed);
        body.put("stream", config.stream());
        if (config.stream() && usage) {
            body.putObject("stream_options").put("include_usage", true);
        }
        return body.toString();
    }

    /** The server's error message from an OpenAI error body, else the body itself, shortened. */
    private static String errorText(String body) {
        try {
            JsonNode doc = JSON.readTree(body);
            if (doc != null && doc.isObject() && doc.has("error")) {
                return ResponseRecorder.errorMessage(doc);
            }
        } catch (JsonProcessingException e) {
            // not JSON: show it as it is
        }
        return body.isBlank() ? "(empty body)" : ResponseRecorder.shorten(body);
    }

    /** A one-line reason for an I/O failure; the JDK's messages are often null or terse. */
    static String describe(IOException e) {
        String message = e.getMessage();
        if (e instanceof ConnectException) {
            return "connection refused" + (message == null || message.isBlank() ? "" : " (" + message + ")");
        }
        if (message == null || message.isBlank()) {
            Throwable cause = e.getCause();
            message = cause != null && cause.getMessage() != null ? cause.getMessage()
                    : e.getClass().getSimpleName();
        }
        if (message.contains("received no bytes") || message.contains("EOF reached while reading")) {
            return "the server closed the connection without answering (" + message + ")";
        }
        return message;
    }

    private static String readLimited(InputStream body) throws IOException {
        byte[] bytes = body.readNBytes(ERROR_BODY_CHARS);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static String readAll(BufferedReader reader) throws IOException {
        StringBuilder text = new StringBuilder();
        char[] buffer = new char[8192];
        int n;
        while ((n = reader.read(buffer)) >= 0) {
            text.append(buffer, 0, n);
        }
        return text.toString();
    }

    /** Reads what follows {@code [DONE]} so the connection can be reused; the request is already timed. */
    private static void drainQuietly(BufferedReader reader) {
        char[] buffer = new char[1024];
        try {
            while (reader.read(buffer) >= 0) {
                // discard
            }
        } catch (IOException e) {
            // cut off by the watchdog or the server: the connection is not reused, nothing else is lost
        }
    }

    private static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException e) {
            // the reader sees the stream closed, which is the point
        }
    }

    @Override
    public void close() {
        watchdog.shutdownNow();
        http.close();
    }
}
