package numatp.runtime.process;

import numatp.models.LlamaConfig;
import numatp.models.ModelException;
import numatp.models.ModelFiles;
import numatp.models.QuantMix;
import numatp.models.SyntheticGguf;
import numatp.models.tp.EngineHealth;
import numatp.models.tp.EngineUnavailableException;
import numatp.models.tp.Reduction;
import numatp.models.tp.SequenceEngine;
import numatp.models.tp.TpEngine;
import numatp.runtime.config.CollectiveAlgorithmKind;
import numatp.runtime.config.NumaTensorParallelConfig;
import numatp.runtime.config.WorkerLayout;
import numatp.runtime.engine.EngineRuntime;
import numatp.runtime.engine.TpRuntime;
import numatp.runtime.plan.PlacementPlan;
import numatp.topology.SharedData;
import numatp.topology.Topology;
import numatp.topology.TopologyDetector;
import numatp.weights.ModelTensors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The process engine against the thread engine on the same plan: bitwise the same logits (a
 * batched prefill with logits for every entry, then greedy decoding) and the same greedy tokens,
 * on stories260K and on a seeded synthetic Q4_K_M model, for 1 and 2 shards held by 1 or 2
 * worker processes ({@code workersPerNode} splits this one node), and 4 shards in 2 workers (two
 * ranks of one process joining the cross-process group). Then the failure paths: a
 * SIGKILLed worker fails the step in flight naming it, within the collective timeout; a recovered
 * engine runs new workers and gives the same tokens; with no restart allowed the loss is final.
 */
@Timeout(300)
class ProcessEngineTest {
    /** Collective timeout: generous, as pinned workers on a shared 2-core machine may wait seconds for their CPU. */
    static final int TIMEOUT_SECONDS = 20;
    static Path syntheticFile;

    @BeforeAll
    static void writeSynthetic(@TempDir Path dir) {
        syntheticFile = dir.resolve("synthetic.gguf");
        // Hidden 512 = two Q4_K blocks: each of 2 shards holds whole blocks of the down projection.
        SyntheticGguf.write(new LlamaConfig(256, 512, 2, 4, 2, 300, 64, 10000f, 1e-5f), QuantMix.Q4_K_M, 11,
                syntheticFile);
    }

    static Path model(String name) {
        return name.equals("stories") ? SharedData.require("models", "stories260K.bin") : syntheticFile;
    }

    static NumaTensorParallelConfig config(int shards, WorkerLayout layout, int workersPerNode) {
        return config(shards, layout, workersPerNode, Reduction.FAST);
    }

    static NumaTensorParallelConfig config(int shards, WorkerLayout layout, int workersPerNode, Reduction reduction) {
        return config(shards, layout, workersPerNode, reduction, CollectiveAlgorithmKind.AUTO);
    }

    static NumaTensorParallelConfig config(int shards, WorkerLayout layout, int workersPerNode, Reduction reduction,
                                           CollectiveAlgorithmKind algorithm) {
        return NumaTensorParallelConfig.builder().shards(shards).workers(layout).workersPerNode(workersPerNode)
                .collectiveTimeout(Duration.ofSeconds(TIMEOUT_SECONDS)).reduction(reduction)
                .collectiveAlgorithm(algorithm).build();
    }

    static EngineRuntime start(ModelTensors model, Path file, NumaTensorParallelConfig config, TpEngine.Capacity capacity) {
        Topology topology = TopologyDetector.detect();
        PlacementPlan plan = TpRuntime.plan(model, config, topology, capacity);
        return config.workers() == WorkerLayout.PROCESSES
                ? ProcessRuntime.start(model, file, plan, false, capacity, List.of(WorkerMain.class.getName()), line -> { })
                : TpRuntime.start(model, plan, false, capacity, UnaryOperator.identity(), line -> { });
    }

    /** Every logit of a prefill of 9 entries (all wanting logits), then of 20 greedy decode steps. */
    static List<float[]> trace(SequenceEngine engine) {
        int vocab = engine.config().vocabSize();
        SplittableRandom random = new SplittableRandom(5);
        int n = 9;
        int[] tokens = new int[engine.maxBatchEntries()];
        int[] slots = new int[tokens.length];
        int[] positions = new int[tokens.length];
        float[][] logits = new float[tokens.length][];
        List<float[]> out = new ArrayList<>();
        tokens[0] = 1;
        for (int i = 0; i < n; i++) {
            tokens[i] = i == 0 ? 1 : 3 + random.nextInt(vocab - 3);
            positions[i] = i;
            logits[i] = new float[vocab];
            out.add(logits[i]);
        }
        engine.step(n, tokens, slots, positions, logits);
        int token = argmax(logits[n - 1]);
        Arrays.fill(logits, null);
        for (int pos = n; pos < n + 20; pos++) {
            tokens[0] = token;
            positions[0] = pos;
            logits[0] = new float[vocab];
            out.add(logits[0]);
            engine.step(1, tokens, slots, positions, logits);
            token = argmax(logits[0]);
        }
        return out;
    }

    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            best = v[i] > v[best] ? i : best;
        }
        return best;
    }

    static int[] greedy(SequenceEngine engine, int positions) {
        List<Integer> ids = new ArrayList<>();
        numatp.models.tp.SequenceGeneration.generate(engine, new int[] {1}, positions, TpEngine.Sampling.greedy(),
                (prev, next) -> ids.add(next), id -> false);
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Hierarchical: the workers' allreduce buffers are read in place in the shared file (AUTO picks oneshot here). */
    @ParameterizedTest(name = "{0}, shards={1}, workers={2}, reduction={3}, algorithm={4}")
    @CsvSource({"stories, 1, 1, FAST, AUTO", "stories, 2, 1, FAST, AUTO", "stories, 2, 2, FAST, AUTO",
        "stories, 4, 2, FAST, AUTO", "synthetic, 1, 1, FAST, AUTO", "synthetic, 2, 1, FAST, AUTO",
        "synthetic, 2, 2, FAST, AUTO", "synthetic, 2, 2, EXACT, AUTO", "synthetic, 2, 2, FAST, HIERARCHICAL",
        "synthetic, 2, 2, EXACT, HIERARCHICAL"})
    void processEngineGivesTheThreadEnginesLogitsAndTokensBitwise(String name, int shards, int workers,
                                                                 Reduction reduction, CollectiveAlgorithmKind algorithm) {
        Path file = model(name);
        TpEngine.Capacity capacity = new TpEngine.Capacity(1, 64, 16);
        try (ModelTensors model = ModelFiles.open(file)) {
            List<float[]> expected;
            int[] expectedIds;
            try (EngineRuntime threads = start(model, file, config(shards, WorkerLayout.THREADS, 1, reduction,
                    CollectiveAlgorithmKind.AUTO), capacity)) {
                expected = trace(threads.engine());
                expectedIds = greedy(threads.engine(), 60);
            }
            try (EngineRuntime processes = start(model, file,
                    config(shards, WorkerLayout.PROCESSES, workers, reduction, algorithm), capacity)) {
                ProcessEngine engine = (ProcessEngine) processes.engine();
                assertEquals(Math.min(shards, workers), engine.pids().size(), "worker processes");
                List<float[]> actual = trace(engine);
                for (int i = 0; i < expected.size(); i++) {
                    assertArrayEquals(expected.get(i), actual.get(i), "logits of entry " + i);
                }
                assertArrayEquals(expectedIds, greedy(engine, 60), "greedy ids");
                assertTrue(processes.bindingSummary().startsWith("workers: " + engine.pids().size() + " processes (pids "),
                        processes.bindingSummary());
            }
        }
    }

    @Test
    void storiesGreedyThroughTwoWorkersIsRunCsText() throws Exception {
        Path file = model("stories");
        int[] expected = Arrays.stream(Files.readString(file.resolveSibling("stories260K_t0_n200.ids.txt")).trim()
                .split("\\s+")).mapToInt(Integer::parseInt).toArray();
        try (ModelTensors model = ModelFiles.open(file);
             EngineRuntime processes = start(model, file, config(2, WorkerLayout.PROCESSES, 2),
                     TpEngine.Capacity.singleSequence(256))) {
            List<Integer> ids = new ArrayList<>();
            numatp.models.tp.SequenceGeneration.generate(processes.engine(), new int[] {1}, 200,
                    TpEngine.Sampling.greedy(), (prev, next) -> ids.add(next), id -> id == 1);
            assertArrayEquals(expected, ids.stream().mapToInt(Integer::intValue).toArray());
        }
    }

    @Test
    void aKilledWorkerFailsTheStepNamingItWithinTheCollectiveTimeout() {
        Path file = model("stories");
        try (ModelTensors model = ModelFiles.open(file);
             EngineRuntime processes = start(model, file, config(2, WorkerLayout.PROCESSES, 2),
                     TpEngine.Capacity.singleSequence(256))) {
            ProcessEngine engine = (ProcessEngine) processes.engine();
            greedy(engine, 20);
            long victim = engine.pids().get(1);
            ProcessHandle.of(victim).orElseThrow().destroyForcibly();
            long t0 = System.nanoTime();
            ModelException e = assertThrows(ModelException.class, () -> {
                for (int i = 0; i < 1000; i++) {
                    greedy(engine, 20);
                }
            });
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms < TIMEOUT_SECONDS * 1000L, "failed after " + ms + " ms");
            assertTrue(e.getMessage().contains("worker 1 (node 0, shards [1], pid " + victim + ") was killed by signal 9"),
                    e.getMessage());
            assertTrue(engine.broken());
            List<Long> pids = engine.pids();
            String name = engine.name();
            processes.close();
            for (long pid : pids) {
                assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "pid " + pid + " still runs");
            }
            assertNoFiles(name);
        }
    }

    @Test
    void recoverRestartsTheWorkersAndTheEngineGivesTheSameTokensAgain() {
        Path file = model("stories");
        try (ModelTensors model = ModelFiles.open(file);
             EngineRuntime processes = start(model, file, config(2, WorkerLayout.PROCESSES, 2),
                     TpEngine.Capacity.singleSequence(256))) {
            ProcessEngine engine = (ProcessEngine) processes.engine();
            List<Integer> restarted = new ArrayList<>();
            engine.allowRestarts(1, e -> restarted.add(e.pids().size()));
            int[] before = greedy(engine, 20);
            List<Long> oldPids = engine.pids();
            String oldName = engine.name();
            ProcessHandle.of(oldPids.get(1)).orElseThrow().destroyForcibly();
            // Seen between steps: the exit is watched, the next step is refused naming the worker.
            awaitState(engine, EngineHealth.State.RESTARTING);
            assertTrue(engine.health().detail().contains("worker 1 (node 0, shards [1], pid " + oldPids.get(1)
                    + ") was killed by signal 9"), engine.health().detail());
            EngineUnavailableException e = assertThrows(EngineUnavailableException.class, () -> greedy(engine, 20));
            assertTrue(e.getMessage().contains("was killed by signal 9"), e.getMessage());
            assertTrue(engine.broken());

            assertTrue(engine.recover());
            assertEquals(EngineHealth.ok(1), engine.health());
            assertEquals(List.of(2), restarted, "afterRestart ran once, on the new workers");
            assertFalse(engine.broken());
            assertNotEquals(oldPids, engine.pids());
            assertNoFiles(oldName);
            for (long pid : oldPids) {
                assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "pid " + pid + " still runs");
            }
            assertArrayEquals(before, greedy(engine, 20));

            // The one restart allowed in a row was spent, but a step completed since: one more is allowed.
            ProcessHandle.of(engine.pids().get(0)).orElseThrow().destroyForcibly();
            assertThrows(EngineUnavailableException.class, () -> {
                for (int i = 0; i < 1000; i++) {
                    greedy(engine, 20);
                }
            });
            assertTrue(engine.recover());
            assertEquals(2, engine.health().restarts());
            assertArrayEquals(before, greedy(engine, 20));
        }
    }

    @Test
    void withNoRestartAllowedALostWorkerFailsTheEngineForGood() {
        Path file = model("stories");
        try (ModelTensors model = ModelFiles.open(file);
             EngineRuntime processes = start(model, file, config(2, WorkerLayout.PROCESSES, 2),
                     TpEngine.Capacity.singleSequence(256))) {
            ProcessEngine engine = (ProcessEngine) processes.engine();
            engine.allowRestarts(0, e -> { });
            long victim = engine.pids().get(0);
            ProcessHandle.of(victim).orElseThrow().destroyForcibly();
            awaitState(engine, EngineHealth.State.FAILED);
            assertFalse(engine.recover());
            EngineHealth h = engine.health();
            assertEquals(EngineHealth.State.FAILED, h.state());
            assertTrue(h.detail().contains("worker 0 (node 0, shards [0], pid " + victim + ") was killed by signal 9")
                    && h.detail().endsWith("no restart allowed"), h.detail());
            assertThrows(EngineUnavailableException.class, () -> greedy(engine, 20));
        }
    }

    /** Waits (bounded by the class timeout) until the engine's health reaches {@code state}. */
    private static void awaitState(SequenceEngine engine, EngineHealth.State state) {
        while (engine.health().state() != state) {
            java.util.concurrent.locks.LockSupport.parkNanos(5_000_000L);
        }
    }

    static void assertNoFiles(String name) {
        try (var files = Files.list(Path.of("/dev/shm"))) {
            List<Path> left = files.filter(p -> p.getFileName().toString().startsWith("numatp-" + name)).toList();
            assertEquals(List.of(), left, "files of engine " + name + " left in /dev/shm");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
