package numatp.runtime.process;

import numatp.collectives.shm.ProcessTransport;
import numatp.collectives.sync.IdleStrategy;
import numatp.collectives.team.WorkerOptions;
import numatp.models.LlamaConfig;
import numatp.models.ModelException;
import numatp.models.tp.EngineHealth;
import numatp.models.tp.EngineUnavailableException;
import numatp.models.tp.SequenceEngine;
import numatp.models.tp.StepRules;
import numatp.models.tp.TpEngine;
import numatp.runtime.config.NumaTensorParallelConfig;
import numatp.runtime.plan.PlacementPlan;
import numatp.runtime.workers.ShardWorkers;
import numatp.topology.IdSet;
import numatp.topology.binding.BindMode;
import numatp.topology.binding.ShardBinding;
import numatp.topology.linux.MemPolicy;
import numatp.topology.pinning.PinningPolicy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * A {@link SequenceEngine} whose shards run in worker processes, one per planned node (or
 * {@code workersPerNode} per node, each with consecutive shards of it): the coordinator side of
 * the process layout. Each step's batch goes through a {@link StepChannel}; the workers run their
 * shards with the collectives among themselves, and the worker holding rank 0 writes the logits
 * back. The arithmetic is the thread engine's ({@link numatp.models.tp.LocalShards} runs the same
 * per-shard forward), so the logits are bitwise equal for the same plan.
 *
 * <p>A worker that dies or fails a step makes that step throw an {@link EngineUnavailableException}
 * naming the worker (index, node, shards, pid) and how it ended, as soon as the coordinator sees it
 * (it checks the workers' liveness every {@link #LIVENESS_CHECK_NS} while it waits); a worker that
 * dies between steps is seen at once (its exit is watched). The engine is then {@link #broken()}
 * and its {@link #health()} says {@code restarting} (or {@code failed} when no restart is allowed).
 * {@link #recover()} restarts all its workers (a new engine instance: new shared-memory files,
 * empty KV caches), up to {@link #allowRestarts the allowed number} in a row with a growing pause
 * before each; a step that completes resets the count. Closing stops the workers, kills any that
 * do not exit, and removes every shared-memory file of this engine instance.
 */
public final class ProcessEngine implements SequenceEngine {
    /** How often a waiting coordinator checks that its workers still run. */
    static final long LIVENESS_CHECK_NS = 50_000_000L;
    /** How long start-up waits for a worker to load its shards and report ready. */
    static final long READY_TIMEOUT_MS = 600_000;
    /** The pause before the first restart in a row; each next one doubles it, up to {@link #MAX_BACKOFF_MS}. */
    static final long FIRST_BACKOFF_MS = 100;
    static final long MAX_BACKOFF_MS = 5_000;
    private static final long STOP_WAIT_MS = 2_000;

    private final LlamaConfig config;
    private final TpEngine.Capacity capacity;
    private final Launch launch;
    private final StepRules rules;
    private final IdleStrategy idle = WorkerOptions.defaultIdle();
    private volatile WorkerSet set;
    private volatile EngineHealth health = EngineHealth.OK;
    private int maxRestarts;
    private Consumer<? super ProcessEngine> afterRestart = e -> { };
    private int restartsInARow;
    private int restarts;
    private boolean recovering;
    private long steps;
    private long entries;
    private long stepNs;
    private long retiredCollectiveNs; // of the worker sets before a restart
    private boolean failed;
    private volatile boolean closed;

    /** What starts a set of workers, kept for restarts. */
    private record Launch(Path modelFile, LlamaConfig config, PlacementPlan plan, boolean simulated,
                          TpEngine.Capacity capacity, List<String> entryPoint, Consumer<String> log) {
    }

    private ProcessEngine(Launch launch, WorkerSet set) {
        this.config = launch.config();
        this.capacity = launch.capacity();
        this.launch = launch;
        this.set = set;
        this.rules = new StepRules(config.vocabSize(), capacity);
    }

    /** The main class (and subcommand) that runs a worker: {@code tp worker} when the CLI is here, else {@link WorkerMain}. */
    public static List<String> defaultEntryPoint() {
        try {
            Class.forName("numatp.cli.TpMain", false, ProcessEngine.class.getClassLoader());
            return List.of("numatp.cli.TpMain", "worker");
        } catch (ClassNotFoundException e) {
            return List.of(WorkerMain.class.getName());
        }
    }

    /**
     * The held ranks of each worker of {@code plan}: per planned node in order of its first rank,
     * its ranks split into {@code workersPerNode} near-even consecutive groups (fewer when the
     * node has fewer shards).
     */
    static List<List<ShardBinding>> workerShards(PlacementPlan plan) {
        Map<Integer, List<ShardBinding>> byNode = new LinkedHashMap<>();
        for (ShardBinding b : ShardWorkers.bindings(plan)) {
            byNode.computeIfAbsent(b.node(), n -> new ArrayList<>()).add(b);
        }
        List<List<ShardBinding>> out = new ArrayList<>();
        for (List<ShardBinding> node : byNode.values()) {
            int k = Math.min(plan.config().workersPerNode(), node.size());
            for (int w = 0; w < k; w++) {
                out.add(List.copyOf(node.subList(node.size() * w / k, node.size() * (w + 1) / k)));
            }
        }
        return out;
    }

    /**
     * Starts one worker JVM per group of {@link #workerShards}, each opening {@code modelFile} and
     * running {@code entryPoint} (a main class and its leading arguments), and waits until every
     * one has loaded its shards. {@code log} receives the start-up report, and later the restarts.
     * The engine allows no restart until {@link #allowRestarts}.
     */
    public static ProcessEngine start(Path modelFile, LlamaConfig config, PlacementPlan plan, boolean simulated,
                                      TpEngine.Capacity capacity, List<String> entryPoint, Consumer<String> log) {
        Launch launch = new Launch(modelFile.toAbsolutePath(), config, plan, simulated, capacity, entryPoint, log);
        ProcessEngine engine = new ProcessEngine(launch, WorkerSet.launch(launch));
        for (String line : engine.reportLines()) {
            log.accept(line);
        }
        engine.watch(engine.set);
        return engine;
    }

    /**
     * Lets {@link #recover} restart the workers up to {@code maxRestarts} times in a row (0: a lost
     * worker fails the engine for good); {@code afterRestart} runs on each restarted engine before
     * it reports itself healthy (a warm-up, say). Call before the first step, from the engine's caller.
     */
    public void allowRestarts(int maxRestarts, Consumer<? super ProcessEngine> afterRestart) {
        if (maxRestarts < 0) {
            throw new IllegalArgumentException("restarts must be >= 0: " + maxRestarts);
        }
        this.maxRestarts = maxRestarts;
        this.afterRestart = afterRestart;
    }

    /** Calls back when a worker of {@code workers} exits while they are current: the engine lost it. */
    private void watch(WorkerSet workers) {
        for (WorkerProcess w : workers.workers) {
            w.onExit(() -> {
                if (workers.retired || closed) {
                    return;
                }
                String how = w.exitDescription(0);
                lose(w.label() + " " + (how != null ? how : "has exited"));
            });
        }
    }

    /** Records the loss of a worker, once per loss: health says what is lost and whether it comes back. */
    private synchronized void lose(String detail) {
        if (health.ok() && !closed) {
            health = maxRestarts > restartsInARow ? EngineHealth.restarting(detail, restarts)
                    : EngineHealth.failed(detail, restarts);
        }
    }

    /**
     * The start-up report: per worker its label, how its launcher bound it, its JVM options, then
     * what it reported (born CPUs and getcpu, each shard thread's binding, each shard's residency).
     */
    public List<String> reportLines() {
        return set.reportLines();
    }

    /** The worker processes' pids, in worker order. */
    public List<Long> pids() {
        return set.workers.stream().map(WorkerProcess::pid).toList();
    }

    /** Each worker's held ranks, in worker order. */
    public List<int[]> workerRanks() {
        return set.workers.stream().map(w -> w.ranks.clone()).toList();
    }

    /** The engine instance's name: its shared-memory files are {@code /dev/shm/numatp-<name>*}; a restart renames it. */
    public String name() {
        return set.name;
    }

    @Override
    public LlamaConfig config() {
        return config;
    }

    @Override
    public int slots() {
        return capacity.slots();
    }

    @Override
    public int slotPositions() {
        return capacity.slotPositions();
    }

    @Override
    public int maxBatchEntries() {
        return capacity.maxBatchEntries();
    }

    @Override
    public void step(int n, int[] tokens, int[] slots, int[] positions, float[][] logits) {
        if (closed) {
            throw new ModelException("the engine is closed");
        }
        if (failed) {
            throw new EngineUnavailableException("the engine failed in an earlier step and cannot continue until it"
                    + " recovers: " + health.detail());
        }
        rules.check(n, tokens, slots, positions, logits);
        if (n == 0) {
            return;
        }
        EngineHealth h = health;
        if (!h.ok() && !recovering) {
            failed = true; // a worker died between steps
            throw new EngineUnavailableException(h.detail());
        }
        long t0 = System.nanoTime();
        WorkerSet ws = set;
        StepChannel channel = ws.channel;
        channel.writeBatch(n, tokens, slots, positions, logits);
        long seq = ++ws.sequence;
        channel.publish(seq);
        awaitWorkers(ws, seq);
        for (int i = 0; i < n; i++) {
            if (logits[i] != null) {
                channel.readLogits(i, logits[i]);
            }
        }
        rules.advance(n, slots, positions);
        steps++;
        entries += n;
        stepNs += System.nanoTime() - t0;
        if (!recovering) {
            restartsInARow = 0;
        }
    }

    private void awaitWorkers(WorkerSet ws, long seq) {
        StepChannel channel = ws.channel;
        for (int w = 0; w < ws.workers.size(); w++) {
            if (channel.done(w) >= seq) {
                continue;
            }
            idle.reset();
            long nextCheckNs = System.nanoTime() + LIVENESS_CHECK_NS;
            while (channel.done(w) < seq) {
                if (channel.failed(w) >= seq) {
                    fail(ws, seq);
                }
                idle.idle();
                if (idle.parking()) {
                    long now = System.nanoTime();
                    if (now >= nextCheckNs) {
                        nextCheckNs = now + LIVENESS_CHECK_NS;
                        // Any worker: the one awaited may be alive but stuck waiting for one that died.
                        if (!allRunning(ws)) {
                            fail(ws, seq);
                        }
                    }
                }
            }
        }
    }

    private static boolean allRunning(WorkerSet ws) {
        for (WorkerProcess w : ws.workers) {
            if (!w.running()) {
                return false;
            }
        }
        return true;
    }

    /**
     * Step {@code seq} failed: throws naming the workers that died (the cause) first, then what the
     * others reported, after giving the survivors a moment to report.
     */
    private void fail(WorkerSet ws, long seq) {
        failed = true;
        StepChannel channel = ws.channel;
        List<String> causes = new ArrayList<>();
        List<String> reports = new ArrayList<>();
        // A survivor's report (a peer left its collective) can come before this process sees the death.
        long deadline = System.nanoTime() + STOP_WAIT_MS * 1_000_000L / 4;
        do {
            for (WorkerProcess w : ws.workers) {
                // A worker that reported this step's failure exits by itself: not a cause.
                if (channel.failed(w.index) < seq && !w.running()) {
                    String how = w.exitDescription(STOP_WAIT_MS / 4);
                    causes.add(w.label() + " " + (how != null ? how : "has exited"));
                }
            }
            if (causes.isEmpty()) {
                LockSupport.parkNanos(10_000_000L);
            }
        } while (causes.isEmpty() && System.nanoTime() < deadline);
        for (int w = 0; w < ws.workers.size(); w++) {
            if (channel.failed(w) >= seq) {
                reports.add(ws.workers.get(w).label() + " failed: " + channel.message(w));
            }
        }
        causes.addAll(reports);
        String message = "engine step " + seq + " failed: " + String.join("; ", causes);
        lose(message);
        throw new EngineUnavailableException(message);
    }

    @Override
    public boolean broken() {
        return failed || !health.ok();
    }

    @Override
    public EngineHealth health() {
        return health;
    }

    /**
     * Restarts every worker (the collective group and the step file are per engine instance, so a
     * lone worker cannot rejoin its survivors): stops what is left of the old ones, waits the
     * back-off, starts a new set and runs {@code afterRestart} on it; a start or an afterRestart that
     * fails counts as one more restart. Every restart is logged. False, with health {@code failed},
     * once the restarts allowed in a row are spent.
     */
    @Override
    public boolean recover() {
        if (closed) {
            return false;
        }
        if (!broken()) {
            return true;
        }
        String cause = health.detail();
        retire(set);
        while (restartsInARow < maxRestarts) {
            restartsInARow++;
            restarts++;
            long backoffMs = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS << Math.min(20, restartsInARow - 1));
            health = EngineHealth.restarting(cause, restarts);
            launch.log().accept(String.format(Locale.ROOT, "engine: %s; restarting the worker processes in %d ms"
                    + " (restart %d of %d in a row)", cause, backoffMs, restartsInARow, maxRestarts));
            LockSupport.parkNanos(backoffMs * 1_000_000L);
            long t0 = System.nanoTime();
            WorkerSet fresh = null;
            long startedNs = 0;
            recovering = true;
            try {
                fresh = WorkerSet.launch(launch);
                set = fresh;
                failed = false;
                watch(fresh);
                startedNs = System.nanoTime() - t0;
                afterRestart.accept(this);
                if (failed) {
                    throw new ModelException("the restarted workers failed: " + cause);
                }
            } catch (RuntimeException e) {
                cause = e.getMessage() != null ? e.getMessage() : e.toString();
                if (fresh != null) {
                    retire(fresh);
                }
                continue;
            } finally {
                recovering = false;
            }
            launch.log().accept(String.format(Locale.ROOT, "engine: worker processes restarted (pids %s): started in"
                    + " %.2f s, ready in %.2f s", String.join(", ", pids().stream().map(Object::toString).toList()),
                    startedNs / 1e9, (System.nanoTime() - t0) / 1e9));
            for (String line : fresh.reportLines()) {
                launch.log().accept(line);
            }
            health = EngineHealth.ok(restarts);
            return true;
        }
        String detail = cause + (maxRestarts == 0 ? "; no restart allowed"
                : "; giving up after " + maxRestarts + " restart(s) in a row");
        health = EngineHealth.failed(detail, restarts);
        failed = true;
        launch.log().accept("engine: " + detail);
        return false;
    }

    /**
     * Kills what is left of {@code workers} (they are no longer this engine's: out of step, a
     * survivor may be stuck in a collective) and counts their collective time.
     */
    private void retire(WorkerSet workers) {
        if (workers.retired) {
            return;
        }
        workers.retired = true;
        retiredCollectiveNs += workers.channel.collectiveNs(workers.outputWorker);
        WorkerSet.stopAll(workers.workers, workers.channel, ProcessTransport.DEFAULT_DIR, workers.name);
    }

    @Override
    public Counters counters() {
        WorkerSet ws = set;
        long collective = retiredCollectiveNs + (ws.retired ? 0 : ws.channel.collectiveNs(ws.outputWorker));
        return new Counters(steps, entries, stepNs, collective);
    }

    /** Stops the workers (killing any that do not exit in time) and frees the step file. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        WorkerSet ws = set;
        if (!ws.retired) {
            ws.retired = true;
            ws.stop();
        }
    }

    /**
     * One set of worker processes and the step file they share: an engine instance, named for its
     * shared-memory files. A restart replaces the whole set.
     */
    private static final class WorkerSet {
        final String name;
        final StepChannel channel;
        final List<WorkerProcess> workers;
        final List<String> jvmOptions;
        final int outputWorker; // holds rank 0
        long sequence; // the last step published
        volatile boolean retired;

        private WorkerSet(String name, StepChannel channel, List<WorkerProcess> workers, List<String> jvmOptions,
                          int outputWorker) {
            this.name = name;
            this.channel = channel;
            this.workers = workers;
            this.jvmOptions = jvmOptions;
            this.outputWorker = outputWorker;
        }

        static WorkerSet launch(Launch launch) {
            PlacementPlan plan = launch.plan();
            TpEngine.Capacity capacity = launch.capacity();
            NumaTensorParallelConfig tp = plan.config();
            Path dir = ProcessTransport.DEFAULT_DIR;
            ProcessTransport.reclaimStale(dir); // files of engines whose coordinator was killed
            String name = ProcessTransport.uniqueName();
            List<List<ShardBinding>> groups = workerShards(plan);
            Path stepPath = ProcessTransport.path(dir, name + "-step");
            StepChannel channel = StepChannel.create(stepPath, groups.size(), capacity.maxBatchEntries(),
                    launch.config().vocabSize());
            List<WorkerProcess> workers = new ArrayList<>();
            MemPolicy policy = tp.preferLocalMemory() ? MemPolicy.PREFERRED : MemPolicy.DEFAULT;
            BindMode mode = launch.simulated() ? BindMode.SIMULATED
                    : tp.pinningPolicy() == PinningPolicy.NONE ? BindMode.NONE : BindMode.BIND;
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            List<String> allOptions = new ArrayList<>();
            int outputWorker = 0;
            try {
                for (int w = 0; w < groups.size(); w++) {
                    List<ShardBinding> shards = groups.get(w);
                    IdSet cpus = IdSet.empty();
                    for (ShardBinding b : shards) {
                        cpus = cpus.union(b.cpus());
                        outputWorker = b.shard() == 0 ? w : outputWorker;
                    }
                    List<String> options = WorkerJvm.options(launch.config(), capacity, shards.size(),
                            cpus.isEmpty() ? Runtime.getRuntime().availableProcessors() : cpus.size());
                    allOptions.add(String.join(" ", options));
                    WorkerArgs args = new WorkerArgs(launch.modelFile(), name, stepPath, w, groups.size(),
                            plan.nodeOfRank(), shards, capacity.slots(), capacity.slotPositions(),
                            capacity.maxBatchEntries(), tp.collectiveTimeout().toMillis(), tp.collectiveAlgorithm(),
                            tp.idleStrategy(), mode, policy, tp.reduction());
                    List<String> command = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector",
                            "--enable-native-access=ALL-UNNAMED"));
                    command.addAll(options);
                    command.addAll(List.of("-cp", System.getProperty("java.class.path")));
                    command.addAll(launch.entryPoint());
                    command.addAll(args.toArgs());
                    workers.add(WorkerProcess.start(w, shards.getFirst().node(), args.ranks(), command, cpus, policy,
                            mode == BindMode.BIND));
                }
                awaitReady(workers);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                stopAll(workers, channel, dir, name);
                throw new ModelException("interrupted while starting the worker processes");
            } catch (RuntimeException e) {
                stopAll(workers, channel, dir, name);
                throw e;
            }
            // Every worker has mapped the step file and joined its group: no name needs to stay in /dev/shm.
            channel.unlink();
            ProcessTransport.removeIfAbandoned(dir, name);
            return new WorkerSet(name, channel, workers, allOptions, outputWorker);
        }

        /** Waits until every worker is ready; the first that exits (or the timeout) fails the start, naming it. */
        private static void awaitReady(List<WorkerProcess> workers) throws InterruptedException {
            long deadline = System.nanoTime() + READY_TIMEOUT_MS * 1_000_000L;
            while (true) {
                boolean all = true;
                for (WorkerProcess w : workers) {
                    if (w.ready()) {
                        continue;
                    }
                    all = false;
                    if (!w.running()) {
                        String how = w.exitDescription(STOP_WAIT_MS);
                        throw new ModelException(w.label() + " did not start: " + (how != null ? how : "it exited"));
                    }
                    if (System.nanoTime() > deadline) {
                        throw new ModelException(w.label() + " did not start: not ready after "
                                + READY_TIMEOUT_MS / 1000 + " s");
                    }
                }
                if (all) {
                    return;
                }
                Thread.sleep(10);
            }
        }

        private static void stopAll(List<WorkerProcess> workers, StepChannel channel, Path dir, String name) {
            for (WorkerProcess w : workers) {
                w.close();
            }
            channel.unlink();
            channel.close();
            ProcessTransport.removeIfAbandoned(dir, name);
        }

        List<String> reportLines() {
            List<String> lines = new ArrayList<>();
            for (WorkerProcess w : workers) {
                lines.add(w.label() + ": " + w.birth() + "; JVM " + jvmOptions.get(w.index));
                for (String line : w.report()) {
                    lines.add("  " + line);
                }
            }
            return lines;
        }

        /** Asks the workers to stop, waits a moment, kills any left and frees the step file. */
        void stop() {
            channel.publishStop(++sequence);
            for (WorkerProcess w : workers) {
                w.awaitExit(STOP_WAIT_MS);
            }
            stopAll(workers, channel, ProcessTransport.DEFAULT_DIR, name);
        }
    }
}
