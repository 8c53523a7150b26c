package numatp.runtime.process;

import numatp.collectives.process.ProcessLiveness;
import numatp.models.ModelFiles;
import numatp.models.tp.TpEngine;
import numatp.runtime.config.NumaTensorParallelConfig;
import numatp.runtime.config.WorkerLayout;
import numatp.runtime.engine.TpRuntime;
import numatp.topology.SharedData;
import numatp.topology.TopologyDetector;
import numatp.weights.ModelTensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Workers die with their coordinator: a coordinator killed with SIGKILL takes its two workers
 * with it (parent-death signal of the launcher thread), leaves no file of its engine in
 * {@code /dev/shm}, and a file named after it that a coordinator killed during start-up would
 * leave is removed by the next engine's start.
 */
@Timeout(180)
class ProcessLifecycleTest {
    static final Path SHM = Path.of("/dev/shm");

    @Test
    void workersDieWithAKilledCoordinatorAndTheNextStartRemovesItsFiles() throws Exception {
        Path model = SharedData.require("models", "stories260K.bin");
        Process coordinator = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), ProcessCoordinatorMain.class.getName(), model.toString()))
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        long[] workers = new long[2];
        String name = null;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(coordinator.getInputStream(),
                StandardCharsets.UTF_8))) {
            while (name == null) {
                String line = out.readLine();
                if (line == null) {
                    break;
                }
                if (line.startsWith("pids ")) {
                    String[] f = line.split(" ");
                    workers[0] = Long.parseLong(f[1]);
                    workers[1] = Long.parseLong(f[2]);
                } else if (line.startsWith("name ")) {
                    name = line.substring(5);
                }
            }
            assertNotNull(name, "the coordinator printed no engine name (exit " + (coordinator.isAlive() ? "-" : coordinator.exitValue()) + ")");
            assertTrue(ProcessLiveness.running(workers[0]) && ProcessLiveness.running(workers[1]));
            coordinator.destroyForcibly();
            assertTrue(coordinator.waitFor(10, TimeUnit.SECONDS));
        }
        awaitExit(workers[0], 5);
        awaitExit(workers[1], 5);
        assertFalse(ProcessLiveness.running(workers[0]), "worker 0 outlived its coordinator");
        assertFalse(ProcessLiveness.running(workers[1]), "worker 1 outlived its coordinator");
        ProcessEngineTest.assertNoFiles(name);

        // What a coordinator killed during start-up leaves: its step file, named after its pid.
        Path left = SHM.resolve("numatp-g" + coordinator.pid() + "-deadbeef-step");
        Files.write(left, new byte[4096]);
        NumaTensorParallelConfig config = NumaTensorParallelConfig.builder().shards(1).workers(WorkerLayout.PROCESSES)
                .build();
        TpEngine.Capacity capacity = TpEngine.Capacity.singleSequence(32);
        try (ModelTensors tensors = ModelFiles.open(model);
             ProcessRuntime runtime = ProcessRuntime.start(tensors, model,
                     TpRuntime.plan(tensors, config, TopologyDetector.detect(), capacity), false, capacity,
                     List.of(WorkerMain.class.getName()), line -> { })) {
            assertFalse(Files.exists(left), left + " of a dead coordinator survived the next start");
            assertEquals(1, runtime.engine().pids().size());
        } finally {
            Files.deleteIfExists(left);
        }
    }

    /** Waits on {@code pid}'s exit (ProcessHandle.onExit) for up to {@code seconds}; gone already counts as exited. */
    private static void awaitExit(long pid, long seconds) throws Exception {
        java.util.Optional<ProcessHandle> handle = ProcessHandle.of(pid);
        if (handle.isPresent()) {
            try {
                handle.get().onExit().get(seconds, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                // still running: the caller's assertion says so
            }
        }
    }
}
