package numatp.cli;

import numatp.models.LlamaConfig;
import numatp.models.ModelFiles;
import numatp.models.tokenizer.TextTokenizer;
import numatp.models.tp.SequenceEngine;
import numatp.models.tp.TpEngine;
import numatp.models.tp.WeightPlacement;
import numatp.runtime.config.ByteSize;
import numatp.runtime.config.NumaTensorParallelConfig;
import numatp.runtime.config.WorkerLayout;
import numatp.runtime.engine.EngineRuntime;
import numatp.runtime.engine.EngineWarmUp;
import numatp.runtime.engine.Engines;
import numatp.runtime.engine.ModelFootprint;
import numatp.runtime.engine.TpRuntime;
import numatp.runtime.hosts.HostEngine;
import numatp.runtime.hosts.HostRuntime;
import numatp.runtime.plan.PlacementPlan;
import numatp.runtime.plan.ReplicaPlan;
import numatp.runtime.plan.ReplicaPlanner;
import numatp.runtime.process.ProcessRuntime;
import numatp.server.BuiltinModel;
import numatp.server.ChatTemplate;
import numatp.server.InferenceServer;
import numatp.server.Scheduler;
import numatp.server.ServeConfig;
import numatp.server.ServeMetrics;
import numatp.topology.NumaNode;
import numatp.topology.Topology;
import numatp.topology.TopologyView;
import numatp.weights.ModelTensors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.io.Writer;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * {@code tp serve}: an OpenAI-compatible HTTP server over the tensor-parallel engine.
 * Prints the machine, the placement plan, the weights per node and the URL, then serves
 * until SIGTERM or Ctrl-C, which drain in-flight requests (a second signal aborts them)
 * and exit 0.
 */
@Command(name = "serve", description = "Serve a model over an OpenAI-compatible HTTP API (continuous batching).")
final class ServeCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;

    @Mixin
    ModelOptions models;

    @Mixin
    TopologyRootOptions topologyRoot;

    @Mixin
    SystemdUnitOptions systemdUnit;

    @Option(names = "--host", paramLabel = "ADDR", defaultValue = ServeConfig.DEFAULT_HOST,
            description = "Address to listen on (default ${DEFAULT-VALUE}; 0.0.0.0 exposes the server to the network).")
    String host;

    @Option(names = "--port", paramLabel = "N", defaultValue = "8080",
            description = "TCP port (default ${DEFAULT-VALUE}; 0 picks a free one).")
    int port;

    @Option(names = "--max-batch", paramLabel = "N", defaultValue = "16",
            description = "KV-cache slots: sequences generated together (default ${DEFAULT-VALUE}).")
    int maxBatch;

    @Option(names = "--max-queue", paramLabel = "N", defaultValue = "64",
            description = "Requests that may wait for a slot; more are refused with 429 (default ${DEFAULT-VALUE}).")
    int maxQueue;

    @Option(names = "--context", paramLabel = "N",
            description = "Positions per sequence, prompt plus output (default: the model's, at most 2048).")
    Integer context;

    @Option(names = "--max-request-bytes", paramLabel = "SIZE", defaultValue = "1MiB",
            converter = FlagConverters.Size.class,
            description = "Largest request body; more is refused with 413 (default ${DEFAULT-VALUE}).")
    long maxRequestBytes;

    @Option(names = "--shutdown-timeout", paramLabel = "SECONDS", defaultValue = "30",
            description = "On SIGTERM, how long in-flight requests may finish before they are aborted"
                    + " (default ${DEFAULT-VALUE}).")
    int shutdownTimeoutSeconds;

    @Option(names = "--read-timeout", paramLabel = "SECONDS", defaultValue = "30",
            description = "A request's head and body must arrive within this long of its first byte, and a new"
                    + " connection must start one within it, or the connection is closed (default ${DEFAULT-VALUE}).")
    int readTimeoutSeconds;

    @Option(names = "--max-connections", paramLabel = "N", defaultValue = "1024",
            description = "Open connections at most; one more is closed at once, unanswered"
                    + " (default ${DEFAULT-VALUE}).")
    int maxConnections;

    @Option(names = "--warmup-seconds", paramLabel = "SECONDS", defaultValue = "30",
            description = "Before listening, run throw-away steps until the JIT has compiled the kernels, for at most"
                    + " this long (default ${DEFAULT-VALUE}; 0 skips it and the first requests pay for compilation).")
    double warmupSeconds;

    @Option(names = "--worker-restarts", paramLabel = "N", defaultValue = "3",
            description = "With --workers processes: how often in a row the engine restarts its worker processes"
                    + " after one died, before the server exits 1 (default ${DEFAULT-VALUE}; 0 exits at the first"
                    + " loss; a completed step resets the count).")
    int workerRestarts;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /**
     * Restarted workers warm up for at most this long (or --warmup-seconds, if less) before serving
     * again: the server is degraded meanwhile, so this is shorter than the start-up's warm-up.
     */
    static final double RESTART_WARMUP_SECONDS = 3;

    /** Default cap of {@code --context}: KV caches are f32 per slot, so a 32k-context model would need a lot. */
    static final int DEFAULT_CONTEXT_CAP = 2048;

    /** Set when a signal stopped a {@code --workers mpi} server whose engine was still whole: a stop, exit 0. */
    private volatile boolean stoppedBySignal;

    @Override
    public Integer call() throws InterruptedException {
        if (systemdUnit.print) {
            return systemdUnit.print(spec, options.toConfig(), topologyRoot, models.model);
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (maxBatch < 1) {
            throw new UsageException("--max-batch must be >= 1: " + maxBatch);
        }
        Path model = models.model;
        if (models.tokenizer != null && model == null) {
            throw new UsageException("--tokenizer needs --model");
        }
        if (!(warmupSeconds >= 0 && warmupSeconds <= 3600)) {
            throw new UsageException("--warmup-seconds must be in [0, 3600]: " + warmupSeconds);
        }
        if (workerRestarts < 0 || workerRestarts > 1000) {
            throw new UsageException("--worker-restarts must be in [0, 1000]: " + workerRestarts);
        }
        if (maxRequestBytes > Integer.MAX_VALUE - 1) {
            throw new UsageException("--max-request-bytes must be below 2 GiB: " + maxRequestBytes);
        }
        NumaTensorParallelConfig tp = options.toConfig();
        boolean hosts = tp.workers() == WorkerLayout.MPI;
        if (hosts && tp.replicas() != 1) {
            throw new UsageException("--workers mpi runs one engine over the MPI job's ranks: --replicas "
                    + (tp.autoReplicas() ? "auto" : Integer.toString(tp.replicas())) + " cannot be used with it");
        }
        if (hosts && !HostRuntime.launchedAsRankZero()) {
            // Every rank runs this command; only rank 0 reports and serves, the others hold a shard each.
            out = new PrintWriter(Writer.nullWriter());
        }
        Topology topology = topologyRoot.detect();
        printTopology(topology, out);

        Arena arena = Arena.ofShared();
        ModelTensors tensors;
        TextTokenizer tok;
        String modelId;
        ChatTemplate chat;
        long openStartNs = System.nanoTime();
        if (model == null) {
            tensors = BuiltinModel.create(arena);
            tok = BuiltinModel.tokenizer();
            modelId = BuiltinModel.ID;
            chat = ChatTemplate.PLAIN;
        } else {
            tensors = ModelFiles.open(model);
            try {
                int vocabSize = LlamaConfig.of(tensors.hp()).vocabSize();
                tok = ModelFiles.textTokenizer(model, models.tokenizer, vocabSize);
                if (tok.vocabSize() != vocabSize) { // every sampled id must be a token, every token a row
                    throw new UsageException("the tokenizer has " + tok.vocabSize() + " tokens but the model's"
                            + " embedding has " + vocabSize + " rows: " + (models.tokenizer != null ? models.tokenizer : model));
                }
                modelId = modelId(model);
                chat = ChatTemplate.forModel(model, models.tokenizer, tok);
            } catch (RuntimeException e) {
                tensors.close();
                throw e;
            }
        }
        long openNs = System.nanoTime() - openStartNs;
        boolean stepStuck = false;
        try {
            LlamaConfig c = LlamaConfig.of(tensors.hp());
            int positions = context != null ? context : Math.min(c.contextLength(), DEFAULT_CONTEXT_CAP);
            if (positions < 2 || positions > c.contextLength()) {
                throw new UsageException("--context must be in [2, " + c.contextLength() + "] (the model's context): "
                        + positions);
            }
            ServeConfig serveConfig = new ServeConfig(host, port, maxQueue, (int) maxRequestBytes,
                    Duration.ofSeconds(shutdownTimeoutSeconds), modelId)
                    .withReadTimeout(Duration.ofSeconds(readTimeoutSeconds)).withMaxConnections(maxConnections);
            out.println(String.format(Locale.ROOT, "model: %s (%s; dim %d, %d layers, %d heads / %d kv, vocab %d,"
                            + " context %d)", modelId, model == null ? "built-in random weights, text is noise"
                            : model.toString(), c.dim(), c.layers(), c.heads(), c.kvHeads(), c.vocabSize(),
                    c.contextLength()));
            out.println("chat template: " + chat.describe());

            long kvBytes = Engines.kvCacheBytes(c, maxBatch, positions);
            long replicated = ModelFootprint.replicatedBytes(tensors);
            long sharded = ModelFootprint.tensorBytes(tensors) - replicated;
            TpEngine.Capacity capacity = new TpEngine.Capacity(maxBatch, positions, maxBatch + Engines.PREFILL_CHUNK);
            List<PlacementPlan> plans = hosts ? null : plan(tensors, tp, topology, capacity, c, out);
            int replicas = hosts ? 1 : plans.size();
            if (hosts) {
                if (tp.shards() > c.heads()) {
                    throw new UsageException("--shards must be in [1, " + c.heads() + "] (query heads of the model): "
                            + tp.shards());
                }
                out.println();
                out.println("placement plan: --workers mpi, --shards / -np shards per MPI rank; each host plans its own"
                        + " shards at start (see the binding lines)");
                out.flush();
            }
            if (tp.workers() == WorkerLayout.PROCESSES && model == null) {
                throw new UsageException("--workers processes needs --model FILE (each worker maps the file itself)");
            }

            boolean simulated = topologyRoot.simulated();
            List<EngineRuntime> runtimes = new ArrayList<>();
            try {
                List<ServeMetrics.NodeWeights> weights = new ArrayList<>();
                for (int r = 0; r < replicas; r++) {
                    if (replicas > 1) {
                        out.println();
                        out.println("== replica " + r + " of " + replicas);
                        out.flush();
                    }
                    PrintWriter log = out;
                    EngineRuntime runtime = hosts
                            ? HostRuntime.start(tensors, tp, topology, simulated, capacity, line -> {
                                log.println(line);
                                log.flush();
                            })
                            : start(tensors, model, plans.get(r), simulated, capacity, sharded, replicated, out, err);
                    runtimes.add(runtime);
                    if (runtime instanceof TpRuntime threads) {
                        Engines.Loaded loaded = new Engines.Loaded(threads.engine(), threads.engine().replicatedBytes(),
                                threads.engine().shardedBytes());
                        List<ServeMetrics.NodeWeights> replicaWeights = nodeWeights(threads.placement());
                        weights = addWeights(weights, replicaWeights);
                        printWeights(replicaWeights, loaded, kvBytes, maxBatch, positions, out);
                    } else {
                        out.println(String.format(Locale.ROOT, "kv cache: %d slots x %d positions = %s", maxBatch,
                                positions, ByteSize.format(kvBytes)));
                    }
                    printBinding(runtime, simulated, out);
                    out.println("placement: " + runtime.placementSummary());
                    out.println(runtime.loadLine(openNs, openStartNs));
                    if (!simulated) {
                        out.println("residency:");
                        for (String line : runtime.residencyLines()) {
                            out.println("  " + line);
                        }
                    }
                }
                if (warmupSeconds > 0) {
                    if (replicas > 1) {
                        out.println();
                    }
                    for (int r = 0; r < replicas; r++) {
                        out.print("warming up " + (replicas > 1 ? "replica " + r + " " : "")
                                + "(compiling the kernels before the first request)... ");
                        out.flush();
                        EngineWarmUp.Result warm = EngineWarmUp.run(runtimes.get(r).engine(), warmupSeconds);
                        out.println(String.format(Locale.ROOT, "%.1f s, %d rounds%s", warm.elapsedNs() / 1e9,
                                warm.rounds(), warm.jitQuiet() ? "" : " (stopped at --warmup-seconds; the JIT was"
                                        + " still compiling, so early requests may be slower)"));
                    }
                }
                for (EngineRuntime runtime : runtimes) {
                    if (runtime instanceof ProcessRuntime processes) {
                        double restartWarmup = Math.min(warmupSeconds, RESTART_WARMUP_SECONDS);
                        processes.engine().allowRestarts(workerRestarts,
                                engine -> EngineWarmUp.run(engine, restartWarmup));
                    }
                }
                List<SequenceEngine> engines = runtimes.stream().map(EngineRuntime::engine).toList();
                InferenceServer server = InferenceServer.start(engines, tok, chat, serveConfig, weights);
                if (runtimes.getFirst() instanceof HostRuntime hostRuntime) {
                    installHostShutdown(server, hostRuntime.engine(), err);
                } else {
                    installShutdown(server, err);
                }
                exitWhenTheEngineFails(server);
                out.println("serving " + modelId + " at " + server.url() + "  (OpenAI API under /v1; GET /health,"
                        + " GET /metrics; Ctrl-C or SIGTERM to stop)"
                        + (replicas > 1 ? "; " + replicas + " replicas, each request to the least busy" : ""));
                out.flush();
                server.awaitTermination();
                if (server.everyEngineFailed() && !stoppedBySignal) {
                    for (Scheduler s : server.schedulers()) {
                        err.println("error: the engine " + (replicas > 1 ? "of replica " + s.replica() + " " : "")
                                + "failed and cannot continue: " + s.engineHealth().detail());
                    }
                    err.flush();
                    return 1;
                }
            } finally {
                for (EngineRuntime runtime : runtimes) {
                    runtime.close();
                    stepStuck |= runtime instanceof HostRuntime h && h.engine().stepStuck();
                }
            }
            out.println("stopped");
            out.flush();
            return 0;
        } finally {
            if (!stepStuck) { // a --workers mpi step given up inside MPI may still hold the weights: the exit frees them
                tensors.close();
                arena.close();
            }
        }
    }

    /**
     * The plan of each replica, printed: one engine's placement plan for {@code --replicas 1} (as
     * before replicas existed), else the layout planner's replicas (with {@code auto} it also
     * chooses their count and shards; the expected concurrency defaults to {@code --max-batch}).
     */
    private List<PlacementPlan> plan(ModelTensors tensors, NumaTensorParallelConfig tp, Topology topology,
                                     TpEngine.Capacity capacity, LlamaConfig c, PrintWriter out) {
        if (tp.replicas() == 1) {
            if (tp.shards() > c.heads()) {
                throw new UsageException("--shards must be in [1, " + c.heads() + "] (query heads of the model): "
                        + tp.shards());
            }
            PlacementPlan plan = TpRuntime.plan(tensors, tp, topology, capacity);
            out.println();
            out.println("placement plan:");
            out.print(PlanOutput.text(plan));
            out.println();
            out.flush();
            return List.of(plan);
        }
        if (!tp.autoReplicas() && tp.shards() > c.heads()) {
            throw new UsageException("--shards must be in [1, " + c.heads() + "] (query heads of the model): "
                    + tp.shards());
        }
        ReplicaPlan layout = ReplicaPlanner.plan(topology, tp,
                ModelFootprint.profile(tensors, capacity.slots(), capacity.slotPositions()), maxBatch);
        out.println();
        out.println("layout plan:");
        out.print(PlanOutput.text(layout));
        out.println();
        out.flush();
        int shards = layout.shardsPerReplica();
        if (shards > c.heads()) {
            throw new UsageException("the layout gives each replica " + shards + " shards, more than the model's "
                    + c.heads() + " query heads: pass --replicas N --shards K with K <= " + c.heads());
        }
        return layout.replicas();
    }

    /** Starts one engine as {@code plan} says: worker processes, or thread teams with a progress bar. */
    private static EngineRuntime start(ModelTensors tensors, Path model, PlacementPlan plan, boolean simulated,
                                       TpEngine.Capacity capacity, long sharded, long replicated, PrintWriter out,
                                       PrintWriter err) {
        if (plan.config().workers() == WorkerLayout.PROCESSES) {
            return ProcessRuntime.start(tensors, model, plan, simulated, capacity,
                    ProcessRuntime.defaultEntryPoint(), line -> {
                        out.println(line);
                        out.flush();
                    });
        }
        long expected = sharded + replicated * plan.usedNodes().size();
        LoadProgress[] progressHolder = new LoadProgress[1];
        TpRuntime runtime = TpRuntime.start(tensors, plan, simulated, capacity, slices -> {
            progressHolder[0] = new LoadProgress(slices, expected, err, LoadProgress.stderrIsTerminal());
            return progressHolder[0];
        }, line -> {
            err.println(line);
            err.flush();
        });
        progressHolder[0].done();
        progressHolder[0].close();
        return runtime;
    }

    /** Weight bytes per node of several replicas together, by node. */
    private static List<ServeMetrics.NodeWeights> addWeights(List<ServeMetrics.NodeWeights> a,
                                                             List<ServeMetrics.NodeWeights> b) {
        Map<Integer, ServeMetrics.NodeWeights> byNode = new TreeMap<>();
        for (ServeMetrics.NodeWeights w : a) {
            byNode.put(w.node(), w);
        }
        for (ServeMetrics.NodeWeights w : b) {
            byNode.merge(w.node(), w, (x, y) -> new ServeMetrics.NodeWeights(x.node(),
                    x.replicatedBytes() + y.replicatedBytes(), x.shardedBytes() + y.shardedBytes()));
        }
        return List.copyOf(byNode.values());
    }

    /** The model id clients use: the file name without its extension. */
    static String modelId(Path model) {
        String name = model.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }

    private static void printTopology(Topology topology, PrintWriter out) {
        TopologyView view = topology.allowed();
        out.println(String.format(Locale.ROOT, "machine: %d NUMA node(s), %d package(s), %d cores, %d threads%s",
                view.nodes().size(), view.packageCount(), view.coreCount(), view.puCount(),
                topology.numaAvailable() ? "" : " (no NUMA information: one node holds everything)"));
        for (NumaNode n : view.nodes()) {
            out.println(String.format(Locale.ROOT, "  node %d: cpus %s, memory %s (%s free)", n.id(),
                    n.cpus().isEmpty() ? "none" : n.cpus().toListString(), ByteSize.format(n.memTotalBytes()),
                    ByteSize.format(n.memFreeBytes())));
        }
    }

    /** Weights per node as the engine placed them (replicas and this node's shards' slices; KV caches apart). */
    private static List<ServeMetrics.NodeWeights> nodeWeights(WeightPlacement placement) {
        List<ServeMetrics.NodeWeights> out = new ArrayList<>();
        for (WeightPlacement.NodeBytes n : placement.nodes()) {
            out.add(new ServeMetrics.NodeWeights(n.node(), n.replicatedBytes(), n.shardedBytes()));
        }
        return out;
    }

    private static void printWeights(List<ServeMetrics.NodeWeights> weights, Engines.Loaded loaded, long kvBytes,
                                     int slots, int positions, PrintWriter out) {
        out.println(String.format(Locale.ROOT, "weights: %s (replicated %s per node, sharded %s in all)",
                ByteSize.format(loaded.replicatedBytes() + loaded.shardedBytes()),
                ByteSize.format(weights.isEmpty() ? 0 : weights.getFirst().replicatedBytes()),
                ByteSize.format(loaded.shardedBytes())));
        for (ServeMetrics.NodeWeights w : weights) {
            out.println(String.format(Locale.ROOT, "  node %d: replicated %s, sharded %s", w.node(),
                    ByteSize.format(w.replicatedBytes()), ByteSize.format(w.shardedBytes())));
        }
        out.println(String.format(Locale.ROOT, "kv cache: %d slots x %d positions = %s", slots, positions,
                ByteSize.format(kvBytes)));
    }

    /**
     * Where each shard thread landed: a summary, then one line per thread (planned CPU and
     * node, what getcpu saw, match/mismatch/skipped); past 64 threads only the ones that
     * did not match.
     */
    private static void printBinding(EngineRuntime runtime, boolean simulated, PrintWriter out) {
        out.println(runtime.bindingSummary());
        if (simulated) {
            return; // one warning said it already: the plan is for another machine
        }
        List<String> lines = runtime.bindingLines();
        for (String line : lines) {
            if (lines.size() <= 64 || !line.contains("-> match")) {
                out.println("  " + line);
            }
        }
    }

    /**
     * Engines that failed for good (a worker lost and its restarts spent, or a broken thread
     * team) end their schedulers; once every replica's has (with one replica: its only one), the
     * server shuts down at once and {@link #call} returns 1, so a supervisor (systemd,
     * Kubernetes) restarts the whole server. While one replica serves, the server serves on.
     */
    private static void exitWhenTheEngineFails(InferenceServer server) {
        Thread.ofPlatform().daemon().name("tp-serve-engine-watch").start(() -> {
            try {
                for (Scheduler s : server.schedulers()) {
                    s.awaitTermination(Long.MAX_VALUE, TimeUnit.DAYS);
                }
            } catch (InterruptedException e) {
                return;
            }
            if (server.everyEngineFailed()) {
                server.shutdown(Duration.ZERO);
            }
        });
    }

    /**
     * {@code --workers mpi}: mpirun passes a signal to every rank at once and kills what is left
     * about a second later ({@code odls_base_sigkill_timeout}), so the followers are gone and rank 0
     * cannot drain: it stops accepting, gives the engine up (a step in flight throws at once) and
     * answers the requests in flight with a 503 naming the signal, then exits (0 when nothing was
     * lost before the signal). A second signal aborts what is left.
     */
    private void installHostShutdown(InferenceServer server, HostEngine engine, PrintWriter err) {
        Runtime.getRuntime().addShutdownHook(new Thread(server::shutdown, "tp-serve-shutdown-hook"));
        ShutdownSignals.install(() -> {
            stoppedBySignal = engine.lostDetail() == null;
            err.println("shutting down: mpirun ends every rank of the job on a signal, so requests in flight are"
                    + " answered 503 now");
            err.flush();
            for (Scheduler s : server.schedulers()) {
                s.shutdown(System.nanoTime()); // before the engine goes: an idle scheduler just ends
            }
            engine.abandon("rank 0 received SIGTERM or SIGINT: mpirun is ending the job (a stop, or a rank"
                    + " that failed)");
            Thread.ofPlatform().name("tp-serve-shutdown").start(() -> server.shutdown(Duration.ZERO));
        }, server::abortNow);
    }

    /**
     * SIGTERM and SIGINT drain the server and let {@link #call} return 0 (a JVM shutdown
     * hook alone would exit 143); a second signal aborts what is still running. The hook
     * stays as the fallback for other ways the JVM may end.
     */
    private static void installShutdown(InferenceServer server, PrintWriter err) {
        Runtime.getRuntime().addShutdownHook(new Thread(server::shutdown, "tp-serve-shutdown-hook"));
        ShutdownSignals.install(() -> {
            err.println("shutting down: finishing in-flight requests (signal again to abort them)");
            err.flush();
            Thread.ofPlatform().name("tp-serve-shutdown").start(server::shutdown);
        }, server::abortNow);
    }
}
