package numatp.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The HTTP side of {@code tp serve}, on the JDK's {@code com.sun.net.httpserver} with one
 * virtual thread per exchange (a streaming request blocks its own thread, nothing else).
 * It routes the OpenAI endpoints, turns every client mistake into a 4xx OpenAI error
 * object, and every unexpected failure into a 500 whose id is in the server log — never a
 * stack trace. Generation itself belongs to the {@link Scheduler}s, one per replica, which the
 * {@link ReplicaRouter} picks from for each request.
 */
public final class ApiServer {
    private static final System.Logger LOG = System.getLogger(ApiServer.class.getName());
    private static final String JSON = "application/json";
    /** The JDK stop's own wait; {@link #finishStop} ends it long before. */
    private static final int STOP_DELAY_SECONDS = 24 * 3600;
    private static final long STOPPER_JOIN_MS = 5_000;
    /** What a refused body may still send, read and dropped, before its 413 (see {@link #tooLarge}). */
    static final long DRAIN_BYTES = 1 << 20;
    private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);

    private interface Endpoint {
        int handle(HttpExchange exchange) throws IOException, InterruptedException;
    }

    /** A path, the one method it answers, and its label in {@code numatp_http_requests_total}. */
    private record Route(String method, String label, Endpoint endpoint) {
    }

    static {
        // Streamed tokens are small writes: without TCP_NODELAY, Nagle's algorithm holds each
        // one until the client's delayed ACK (~40 ms), which shows up as time to first token and
        // inter-token spikes. The JDK's HttpServer reads this once, before its first server.
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
    }

    private final ServeConfig config;
    private final ReplicaRouter router;
    private final RequestParser parser;
    private final ServeMetrics metrics;
    private final int contextPositions;
    private final long createdEpochSeconds = System.currentTimeMillis() / 1000;
    private final Map<String, Route> routes;
    private final ExecutorService executor;
    private final HttpServer http;
    private final Object handlersLock = new Object();
    private int handlers; // guarded by handlersLock
    private Thread stopper; // guarded by handlersLock; runs the JDK's stop once stopping
    private volatile boolean stopping;

    private ApiServer(ServeConfig config, ReplicaRouter router, RequestParser parser, ServeMetrics metrics,
                      int contextPositions) throws IOException {
        this.config = config;
        this.router = router;
        this.parser = parser;
        this.metrics = metrics;
        this.contextPositions = contextPositions;
        this.routes = Map.of(
                "/v1/completions", new Route("POST", "/v1/completions", ex -> generate(ex, ApiRequest.Kind.COMPLETION)),
                "/v1/chat/completions", new Route("POST", "/v1/chat/completions",
                        ex -> generate(ex, ApiRequest.Kind.CHAT)),
                "/v1/models", new Route("GET", "/v1/models", this::models),
                "/health", new Route("GET", "/health", this::health),
                "/metrics", new Route("GET", "/metrics", this::metrics));
        InetSocketAddress address = new InetSocketAddress(InetAddress.getByName(config.host()), config.port());
        HttpLimits.apply(config);
        try {
            this.http = HttpServer.create(address, 0);
        } catch (BindException e) {
            throw new ServeException("cannot listen on " + config.host() + ":" + config.port() + ": " + e.getMessage()
                    + " (is another server running? pick another --port)", e);
        }
        this.executor = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("tp-http-", 0).factory());
        http.setExecutor(executor);
        http.createContext("/", this::exchange);
    }

    /** Listens on {@code config}'s address and serves until {@link #stop}. */
    public static ApiServer start(ServeConfig config, ReplicaRouter router, RequestParser parser, ServeMetrics metrics,
                                  int contextPositions) throws IOException {
        ApiServer server = new ApiServer(config, router, parser, metrics, contextPositions);
        server.http.start();
        return server;
    }

    /** The port bound (the real one when {@code --port 0}). */
    public int port() {
        return http.getAddress().getPort();
    }

    /** {@code http://host:port}, with an IPv6 host in brackets. */
    public URI url() {
        String host = http.getAddress().getAddress().getHostAddress();
        return URI.create("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port());
    }

    /**
     * Closes the listening socket now; requests already read go on ({@link #awaitIdle}),
     * and their answers say {@code Connection: close}. Returns at once.
     *
     * <p>Why not {@code HttpServer.stop(delay)} alone: in JDK 25 it waits the whole delay
     * whenever a connection has sent part of a request (a client holding half a request
     * line keeps an idle server up), and whenever an exchange ended without its response
     * being completed (a client that left, a body read that failed): the JDK counts that
     * exchange as open forever. So the JDK's stop runs on a thread of its own with a long
     * delay, which closes the listener at once; {@link #finishStop} ends it when this
     * server's own count of handlers says the work is done.
     */
    public void beginStop() {
        synchronized (handlersLock) {
            if (stopper != null) {
                return;
            }
            stopping = true;
            stopper = Thread.ofPlatform().name("tp-http-stop").daemon().start(() -> http.stop(STOP_DELAY_SECONDS));
        }
    }

    /** Waits until no handler runs or {@code deadlineNs} ({@link System#nanoTime()}) passes; true when idle. */
    public boolean awaitIdle(long deadlineNs) throws InterruptedException {
        synchronized (handlersLock) {
            while (handlers > 0) {
                long leftNs = deadlineNs - System.nanoTime();
                if (leftNs <= 0) {
                    return false;
                }
                handlersLock.wait(Math.max(1, leftNs / 1_000_000));
            }
            return true;
        }
    }

    /** Closes every connection, whatever it is doing, and returns when the HTTP server has stopped. */
    public void finishStop() {
        beginStop();
        Thread first;
        synchronized (handlersLock) {
            first = stopper;
        }
        http.stop(0); // the JDK's stop is safe to repeat: this one does not wait, and releases the first
        try {
            first.join(STOPPER_JOIN_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        executor.shutdownNow();
    }

    /** Handlers running now (an exchange whose request head has been read). */
    int handlers() {
        synchronized (handlersLock) {
            return handlers;
        }
    }

    private void exchange(HttpExchange ex) {
        synchronized (handlersLock) {
            handlers++;
        }
        try {
            if (stopping) {
                ex.getResponseHeaders().set("Connection", "close"); // no next request on this connection
            }
            route(ex);
        } finally {
            synchronized (handlersLock) {
                if (--handlers == 0) {
                    handlersLock.notifyAll();
                }
            }
        }
    }

    private void route(HttpExchange ex) {
        String label = "other";
        int status = 0;
        String method = ex.getRequestMethod();
        String path = ex.getRequestURI().getRawPath();
        try {
            Route route = routes.get(path);
            if (route == null && path.startsWith("/v1/models/")) {
                route = new Route("GET", "/v1/models/{model}", this::model);
            }
            if (route == null) {
                status = sendError(ex, ApiError.notFound("unknown_url", "Unknown request URL: " + method + " " + path
                        + ". The API is POST /v1/completions, POST /v1/chat/completions, GET /v1/models, GET /health,"
                        + " GET /metrics."));
            } else {
                label = route.label();
                if (!route.method().equals(method)) {
                    ex.getResponseHeaders().set("Allow", route.method());
                    status = sendError(ex, new ApiError(405, method + " is not allowed on " + path + "; use "
                            + route.method(), "invalid_request_error", null, "method_not_allowed"));
                } else {
                    status = route.endpoint().handle(ex);
                }
            }
        } catch (ApiException e) {
            status = e.error().status();
            LOG.log(System.Logger.Level.DEBUG, () -> method + " " + path + ": " + e.getMessage());
            sendErrorQuietly(ex, e.error());
        } catch (IOException e) {
            status = ex.getResponseCode() > 0 ? ex.getResponseCode() : 499; // the client went away
            LOG.log(System.Logger.Level.DEBUG, () -> method + " " + path + ": client gone: " + e);
        } catch (InterruptedException e) {
            status = ex.getResponseCode() > 0 ? ex.getResponseCode() : 503; // the server is stopping
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            String id = Ids.error();
            LOG.log(System.Logger.Level.ERROR, "unexpected error on " + method + " " + path + " (error id " + id + ")",
                    e);
            status = 500;
            sendErrorQuietly(ex, ApiError.internal(id));
        } finally {
            ex.close(); // after the catch clauses, which may still answer
            metrics.httpRequest(label, status);
        }
    }

    private int generate(HttpExchange ex, ApiRequest.Kind kind) throws IOException, InterruptedException {
        ApiRequest request = parser.parse(kind, readBody(ex));
        OpenAiJson.Header header = OpenAiJson.Header.of(kind, config.modelId());
        PendingGeneration pending = new PendingGeneration();
        Generation generation = router.submit(request.generation(), pending);
        boolean ended = false;
        try {
            ex.getResponseHeaders().set("X-Request-Id", header.id());
            int status = request.stream() ? stream(ex, request, header, pending) : whole(ex, header, pending);
            ended = true;
            return status;
        } finally {
            if (!ended) {
                generation.cancel(); // the client is gone or the server is stopping: free the slot
            }
        }
    }

    /** Waits for the end, then answers one JSON body. */
    private int whole(HttpExchange ex, OpenAiJson.Header header, PendingGeneration pending)
            throws IOException, InterruptedException {
        StringBuilder text = new StringBuilder();
        List<PendingGeneration.Event> events = new ArrayList<>();
        while (true) {
            pending.takeAll(events);
            for (PendingGeneration.Event e : events) {
                switch (e) {
                    case PendingGeneration.Text t -> text.append(t.text());
                    case PendingGeneration.End end -> {
                        return switch (end.reason()) {
                            case STOP, LENGTH -> send(ex, 200, OpenAiJson.response(header, text.toString(),
                                    end.reason(), end.promptTokens(), end.completionTokens()));
                            default -> sendError(ex, endError(end));
                        };
                    }
                }
            }
            events.clear();
        }
    }

    /** Server-sent events: OpenAI's chunks as the text comes, then {@code data: [DONE]}. */
    private int stream(HttpExchange ex, ApiRequest request, OpenAiJson.Header header, PendingGeneration pending)
            throws IOException, InterruptedException {
        ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        ex.getResponseHeaders().set("Cache-Control", "no-cache");
        ex.sendResponseHeaders(200, 0);
        OutputStream out = ex.getResponseBody();
        out.flush(); // the headers now: the client knows it was accepted before the first token
        if (request.kind() == ApiRequest.Kind.CHAT) {
            event(out, OpenAiJson.chunk(header, null, null));
        }
        List<PendingGeneration.Event> events = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        while (true) {
            pending.takeAll(events);
            PendingGeneration.End end = null;
            for (PendingGeneration.Event e : events) {
                switch (e) {
                    case PendingGeneration.Text t -> text.append(t.text());
                    case PendingGeneration.End x -> end = x;
                }
            }
            events.clear();
            if (!text.isEmpty()) {
                event(out, OpenAiJson.chunk(header, text.toString(), null));
                text.setLength(0);
            }
            if (end != null) {
                switch (end.reason()) {
                    case STOP, LENGTH -> {
                        event(out, OpenAiJson.chunk(header, null, end.reason()));
                        if (request.includeUsage()) {
                            event(out, OpenAiJson.usageChunk(header, end.promptTokens(), end.completionTokens()));
                        }
                    }
                    default -> event(out, OpenAiJson.error(endError(end)));
                }
                out.write(DONE);
                out.flush();
                return 200;
            }
        }
    }

    private static ApiError endError(PendingGeneration.End end) {
        return switch (end.reason()) {
            case FAILED -> ApiError.internal(end.errorId());
            case UNAVAILABLE -> ApiError.engineUnavailable(end.errorId());
            case ABORTED -> new ApiError(503, "the server shut down before the generation finished", "server_error",
                    null, "shutting_down");
            default -> new ApiError(499, "the generation was cancelled", "invalid_request_error", null, "cancelled");
        };
    }

    private static void event(OutputStream out, ObjectNode chunk) throws IOException {
        out.write("data: ".getBytes(StandardCharsets.US_ASCII));
        out.write(OpenAiJson.bytes(chunk));
        out.write('\n');
        out.write('\n');
        out.flush();
    }

    private byte[] readBody(HttpExchange ex) throws IOException {
        int limit = config.maxRequestBytes();
        String length = ex.getRequestHeaders().getFirst("Content-Length");
        if (length != null) {
            long declared;
            try {
                declared = Long.parseLong(length.strip());
            } catch (NumberFormatException e) {
                throw ApiError.invalid(null, "Content-Length is not a number: " + length).exception();
            }
            if (declared > limit) {
                throw tooLarge(ex, limit);
            }
        }
        byte[] body = ex.getRequestBody().readNBytes(limit + 1);
        if (body.length > limit) {
            throw tooLarge(ex, limit);
        }
        return body;
    }

    /**
     * A 413 the client can read: a client that writes its whole body before it reads would
     * otherwise meet a connection closed on unread bytes (a TCP reset, which also discards
     * the answer). So the body is read and dropped first, up to {@link #DRAIN_BYTES} (and
     * within {@code --read-timeout}); the answer then closes the connection.
     */
    private static ApiException tooLarge(HttpExchange ex, int limit) throws IOException {
        InputStream in = ex.getRequestBody();
        byte[] sink = new byte[8192];
        long left = DRAIN_BYTES;
        int n;
        while (left > 0 && (n = in.read(sink, 0, (int) Math.min(sink.length, left))) > 0) {
            left -= n;
        }
        ex.getResponseHeaders().set("Connection", "close");
        return new ApiError(413, "the request body is larger than " + limit + " bytes (--max-request-bytes)",
                "invalid_request_error", null, "request_too_large").exception();
    }

    private int models(HttpExchange ex) throws IOException {
        return send(ex, 200, OpenAiJson.modelList(config.modelId(), createdEpochSeconds, contextPositions));
    }

    private int model(HttpExchange ex) throws IOException {
        String id = ex.getRequestURI().getPath().substring("/v1/models/".length());
        if (!id.equals(config.modelId())) {
            throw ApiError.notFound("model_not_found", "The model `" + id + "` does not exist").exception();
        }
        return send(ex, 200, OpenAiJson.model(config.modelId(), createdEpochSeconds, contextPositions));
    }

    /** 200 while at least one replica serves ({@code degraded} when another does not), else 503 (see {@link ReplicaHealth}). */
    private int health(HttpExchange ex) throws IOException {
        ReplicaHealth health = ReplicaHealth.of(router);
        ObjectNode body = health.json(config.modelId());
        return send(ex, health.serving() ? 200 : 503, body);
    }

    private int metrics(HttpExchange ex) throws IOException {
        String accept = ex.getRequestHeaders().getFirst("Accept");
        ByteArrayOutputStream body = new ByteArrayOutputStream(8192);
        metrics.write(accept, body);
        ex.getResponseHeaders().set("Content-Type", metrics.contentType(accept));
        ex.sendResponseHeaders(200, body.size());
        try (OutputStream out = ex.getResponseBody()) {
            body.writeTo(out);
        }
        return 200;
    }

    private static int send(HttpExchange ex, int status, ObjectNode body) throws IOException {
        byte[] bytes = OpenAiJson.bytes(body);
        ex.getResponseHeaders().set("Content-Type", JSON);
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
        return status;
    }

    private static int sendError(HttpExchange ex, ApiError error) throws IOException {
        return send(ex, error.status(), OpenAiJson.error(error));
    }

    /** Answers {@code error} unless a response has already started (then the connection just closes). */
    private static void sendErrorQuietly(HttpExchange ex, ApiError error) {
        if (ex.getResponseCode() > 0) {
            return;
        }
        try {
            sendError(ex, error);
        } catch (IOException ignored) {
            // the client is gone: nobody to tell
        }
    }
}
