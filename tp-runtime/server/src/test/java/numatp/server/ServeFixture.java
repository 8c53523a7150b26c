package numatp.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import numatp.collectives.Communicator;
import numatp.collectives.shm.ThreadTransport;
import numatp.models.LlamaConfig;
import numatp.models.ModelFiles;
import numatp.models.tokenizer.Tokenizer;
import numatp.models.tp.SequenceEngine;
import numatp.models.tp.TpEngine;
import numatp.runtime.config.NumaTensorParallelConfig;
import numatp.runtime.engine.CollectiveSettings;
import numatp.runtime.engine.Engines;
import numatp.topology.SharedData;
import numatp.weights.ArenaSliceAllocator;
import numatp.weights.ModelTensors;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * A server on port 0 over stories260K (the real model in ../shared/models) on the
 * tensor-parallel engine, optionally behind a {@link GatedEngine}, and a real {@link HttpClient}.
 */
public final class ServeFixture implements AutoCloseable {
    public static final Path MODELS = SharedData.dir().resolve("models"); // checked by stories(...)
    public static final Path STORIES = MODELS.resolve("stories260K.bin");
    public static final Path TOK512 = MODELS.resolve("tok512.bin");
    public static final String MODEL_ID = "stories260K";
    public static final ObjectMapper JSON = new ObjectMapper();

    public final InferenceServer server;
    public final GatedEngine gate; // null when not gated; replica 0's when there are several
    public final List<GatedEngine> gates; // one per replica, empty when not gated
    final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
    final URI base;
    private final Arena arena;

    private ServeFixture(InferenceServer server, GatedEngine gate, Arena arena) {
        this(server, gate == null ? List.of() : List.of(gate), arena);
    }

    private ServeFixture(InferenceServer server, List<GatedEngine> gates, Arena arena) {
        this.server = server;
        this.gates = gates;
        this.gate = gates.isEmpty() ? null : gates.getFirst();
        this.arena = arena;
        this.base = server.url();
    }

    /** stories260K with {@code slots} slots of the model's whole context, default settings otherwise. */
    public static ServeFixture stories(int slots, boolean gated) {
        return stories(slots, gated, ServeConfig.defaults(MODEL_ID, 0));
    }

    public static ServeFixture stories(int slots, boolean gated, ServeConfig config) {
        return stories(1, slots, gated, config);
    }

    public static ServeFixture stories(int shards, int slots, boolean gated, ServeConfig config) {
        return stories(shards, slots, gated, config, tok -> ChatTemplate.PLAIN);
    }

    /** As {@link #stories(int, int, boolean, ServeConfig)}, chats formatted by {@code chat} of the tokenizer. */
    public static ServeFixture stories(int shards, int slots, boolean gated, ServeConfig config,
                                       java.util.function.Function<Tokenizer, ChatTemplate> chat) {
        Arena arena = Arena.ofShared();
        Tokenizer tokenizer;
        SequenceEngine engine;
        SharedData.require("models", "stories260K.bin");
        try (ModelTensors model = ModelFiles.open(STORIES)) {
            LlamaConfig c = LlamaConfig.of(model.hp());
            tokenizer = ModelFiles.tokenizer(STORIES, TOK512, c.vocabSize());
            Communicator[] comms = ThreadTransport.create(new int[shards],
                    CollectiveSettings.of(NumaTensorParallelConfig.ofShards(shards))).toArray(new Communicator[0]);
            engine = new TpEngine(model, shards, new TpEngine.Capacity(slots, c.contextLength(),
                    slots + Engines.PREFILL_CHUNK), new ArenaSliceAllocator(arena), comms);
        }
        GatedEngine gate = gated ? new GatedEngine(engine) : null;
        InferenceServer server = InferenceServer.start(gated ? gate : engine, tokenizer, chat.apply(tokenizer), config,
                List.of(new ServeMetrics.NodeWeights(0, 1, 2)));
        return new ServeFixture(server, gate, arena);
    }

    /**
     * stories260K served by {@code replicas} replicas of {@code shards} shards each (thread
     * engines), {@code slots} slots per replica; each replica behind a {@link GatedEngine} when gated.
     */
    public static ServeFixture storiesReplicas(int replicas, int shards, int slots, boolean gated, ServeConfig config) {
        Arena arena = Arena.ofShared();
        Tokenizer tokenizer;
        List<SequenceEngine> engines = new ArrayList<>();
        List<GatedEngine> gates = new ArrayList<>();
        SharedData.require("models", "stories260K.bin");
        try (ModelTensors model = ModelFiles.open(STORIES)) {
            LlamaConfig c = LlamaConfig.of(model.hp());
            tokenizer = ModelFiles.tokenizer(STORIES, TOK512, c.vocabSize());
            for (int r = 0; r < replicas; r++) {
                Communicator[] comms = ThreadTransport.create(new int[shards],
                        CollectiveSettings.of(NumaTensorParallelConfig.ofShards(shards)))
                        .toArray(new Communicator[0]);
                SequenceEngine engine = new TpEngine(model, shards, new TpEngine.Capacity(slots, c.contextLength(),
                        slots + Engines.PREFILL_CHUNK), new ArenaSliceAllocator(arena), comms);
                if (gated) {
                    GatedEngine gate = new GatedEngine(engine);
                    gates.add(gate);
                    engine = gate;
                }
                engines.add(engine);
            }
        }
        InferenceServer server = InferenceServer.start(engines, tokenizer, ChatTemplate.PLAIN, config,
                List.of(new ServeMetrics.NodeWeights(0, 1, 2)));
        return new ServeFixture(server, List.copyOf(gates), arena);
    }

    /**
     * The built-in random model ({@link BuiltinModel}, no files needed) on one shard, with
     * {@code tokenizer} (which may disagree with the model, to test what that does).
     */
    public static ServeFixture builtin(int slots, Tokenizer tokenizer, ServeConfig config) {
        return builtin(slots, tokenizer, config, false);
    }

    public static ServeFixture builtin(int slots, Tokenizer tokenizer, ServeConfig config, boolean gated) {
        Arena arena = Arena.ofShared();
        SequenceEngine engine;
        try (ModelTensors model = BuiltinModel.create(arena)) {
            engine = new TpEngine(model, 1, new TpEngine.Capacity(slots, BuiltinModel.CONFIG.contextLength(),
                    slots + Engines.PREFILL_CHUNK), new ArenaSliceAllocator(arena), null);
        }
        GatedEngine gate = gated ? new GatedEngine(engine) : null;
        InferenceServer server = InferenceServer.start(gated ? gate : engine, tokenizer, config,
                List.of(new ServeMetrics.NodeWeights(0, 1, 2)));
        return new ServeFixture(server, gate, arena);
    }

    public HttpResponse<String> post(String path, String body) {
        return send(HttpRequest.newBuilder(base.resolve(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    /**
     * POSTs a streaming request to a gated server and lets its engine run one step at a time,
     * the next only once the client has read an event or a step gave none within 200 ms, so the
     * text arrives in pieces however the machine schedules the handler. Returns the response
     * body (status and headers checked by the caller through the first line's content).
     */
    public String postStreamingOneStepAtATime(String path, String body) throws InterruptedException {
        gate.hold();
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread reader = Thread.ofVirtual().start(() -> {
            try {
                HttpResponse<Stream<String>> r = client.send(HttpRequest.newBuilder(base.resolve(path))
                        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(), HttpResponse.BodyHandlers.ofLines());
                lines.add("status: " + r.statusCode());
                r.body().forEach(lines::add);
            } catch (IOException | InterruptedException e) {
                lines.add("error: " + e);
            } finally {
                lines.add("end:");
            }
        });
        StringBuilder all = new StringBuilder();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        try {
            while (System.nanoTime() < deadline) {
                gate.allow(1);
                String line = lines.poll(200, TimeUnit.MILLISECONDS);
                while (line != null) {
                    if (line.equals("end:")) {
                        return all.toString();
                    }
                    all.append(line).append('\n');
                    line = line.startsWith("data:") ? null : lines.poll();
                }
            }
            throw new AssertionError("the stream did not end within 60 s: " + all);
        } finally {
            gate.open();
            reader.join(Duration.ofSeconds(10));
        }
    }

    public HttpResponse<String> get(String path) {
        return send(HttpRequest.newBuilder(base.resolve(path)).GET().build());
    }

    public HttpResponse<String> send(HttpRequest request) {
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + text, e);
        }
    }

    /** The {@code data:} payloads of a server-sent event stream, in order. */
    public static List<String> events(String body) {
        List<String> out = new ArrayList<>();
        for (String block : body.split("\n\n")) {
            if (block.startsWith("data: ")) {
                out.add(block.substring("data: ".length()));
            } else if (!block.isBlank()) {
                throw new AssertionError("not an SSE data event: " + block);
            }
        }
        return out;
    }

    /** The text of a streamed completion or chat completion: its chunks' pieces joined. */
    public static String streamedText(List<String> events) {
        StringBuilder text = new StringBuilder();
        for (String e : events) {
            if (e.equals("[DONE]")) {
                continue;
            }
            JsonNode chunk = json(e);
            for (JsonNode choice : chunk.path("choices")) {
                JsonNode piece = choice.has("delta") ? choice.path("delta").path("content") : choice.path("text");
                text.append(piece.asText(""));
            }
        }
        return text.toString();
    }

    /** Value of an un-labelled metric sample (or the one with {@code labels}, as written in the exposition). */
    public double metric(String sample) {
        String text = get("/metrics").body();
        for (String line : text.split("\n")) {
            if (line.startsWith(sample + " ")) {
                return Double.parseDouble(line.substring(sample.length() + 1).trim());
            }
        }
        return 0;
    }

    /** Polls {@code condition} until it holds; fails after {@code timeout}. */
    public static void await(String what, Duration timeout, BooleanSupplier condition) {
        long end = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - end > 0) {
                throw new AssertionError("timed out waiting for " + what);
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what);
            }
        }
    }

    @Override
    public void close() {
        for (GatedEngine g : gates) {
            g.open();
        }
        server.close();
        client.close();
        arena.close();
    }
}
