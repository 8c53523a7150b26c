package numatp.runtime.process;

import numatp.collectives.process.ProcessLiveness;
import numatp.collectives.process.WorkerExit;
import numatp.collectives.process.WorkerLifetime;
import numatp.models.ModelException;
import numatp.topology.IdSet;
import numatp.topology.binding.NumaBinder;
import numatp.topology.binding.ThreadPlacement;
import numatp.topology.linux.MemPolicy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One worker JVM and the coordinator thread that launched it. The launcher thread binds itself
 * to the worker's node (its CPUs, and the memory policy) before it starts the child, so the child
 * inherits both from its first instruction: heap, code cache and every thread it starts are
 * placed before the JVM allocates anything. The thread then stays until {@link #close}: the
 * worker's parent-death signal ({@link WorkerLifetime}) fires when the thread that started it
 * exits, so the worker dies with this thread, and with this process. Its stdout (report lines,
 * then {@link NodeWorker#READY}) and the tail of its stderr are read on their own threads.
 */
final class WorkerProcess {
    private static final int STDERR_TAIL_LINES = 8;
    private static final long EXIT_WAIT_MS = 2_000;
    private static final String INCUBATOR_WARNING = "WARNING: Using incubator modules";

    final int index;
    final int node;
    final int[] ranks;
    private final CountDownLatch started = new CountDownLatch(1);
    private final CountDownLatch ready = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);
    private final List<String> report = new ArrayList<>();
    private final ArrayDeque<String> stderrTail = new ArrayDeque<>();
    private final Thread launcher;
    private volatile Process process;
    private volatile RuntimeException startError;
    private volatile String birth = "";

    private WorkerProcess(int index, int node, int[] ranks, List<String> command, IdSet cpus, MemPolicy policy,
                          boolean bind) {
        this.index = index;
        this.node = node;
        this.ranks = ranks.clone();
        this.launcher = Thread.ofPlatform().daemon().name("numatp-worker-" + index + "-launcher")
                .start(() -> launch(command, cpus, policy, bind));
    }

    /**
     * Starts {@code command} from a new launcher thread, bound first to {@code cpus} of {@code node}
     * with {@code policy} when {@code bind}; returns once the process runs.
     */
    static WorkerProcess start(int index, int node, int[] ranks, List<String> command, IdSet cpus, MemPolicy policy,
                               boolean bind) {
        WorkerProcess w = new WorkerProcess(index, node, ranks, command, cpus, policy, bind);
        try {
            w.started.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            w.close();
            throw new ModelException("interrupted while starting worker " + index);
        }
        if (w.startError != null) {
            w.close();
            throw w.startError;
        }
        return w;
    }

    private void launch(List<String> command, IdSet cpus, MemPolicy policy, boolean bind) {
        try {
            if (bind && !cpus.isEmpty()) {
                try {
                    ThreadPlacement p = NumaBinder.system().bindCurrentThreadToNode(node, cpus, policy);
                    birth = "launched bound to node " + node + " CPUs " + p.cpus().toListString() + ", memory "
                            + p.memoryPolicy().name().toLowerCase(java.util.Locale.ROOT)
                            + (p.note().isEmpty() ? "" : " (" + p.note() + ")");
                } catch (RuntimeException e) {
                    birth = "launched unbound: " + e.getMessage();
                }
            } else {
                birth = "launched unbound";
            }
            ProcessBuilder builder = new ProcessBuilder(command);
            builder.environment().put(WorkerLifetime.LAUNCHER_PID_ENV, Long.toString(ProcessHandle.current().pid()));
            Process p;
            try {
                p = builder.start();
            } catch (IOException e) {
                startError = new ModelException("cannot start worker " + index + " (" + command.getFirst() + "): "
                        + e.getMessage());
                return;
            }
            process = p;
            read(p.getInputStream(), "stdout", this::stdoutLine);
            read(p.getErrorStream(), "stderr", this::stderrLine);
        } finally {
            started.countDown();
        }
        // Stay: the worker's parent-death signal is tied to this thread.
        while (true) {
            try {
                release.await();
                break;
            } catch (InterruptedException e) {
                // Only close() ends this thread.
            }
        }
        Process p = process;
        if (p.isAlive()) {
            p.destroyForcibly();
        }
        try {
            p.waitFor(EXIT_WAIT_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void read(InputStream in, String stream, Consumer<String> sink) {
        Thread.ofPlatform().daemon().name("numatp-worker-" + index + "-" + stream).start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    sink.accept(line);
                }
            } catch (IOException e) {
                // The worker is gone; its exit says why.
            }
        });
    }

    private void stdoutLine(String line) {
        if (line.startsWith(NodeWorker.REPORT)) {
            synchronized (report) {
                report.add(line.substring(NodeWorker.REPORT.length()));
            }
        } else if (line.equals(NodeWorker.READY)) {
            ready.countDown();
        }
    }

    private void stderrLine(String line) {
        if (line.startsWith(INCUBATOR_WARNING)) {
            return;
        }
        synchronized (stderrTail) {
            stderrTail.addLast(line.length() > 500 ? line.substring(0, 500) + "..." : line);
            if (stderrTail.size() > STDERR_TAIL_LINES) {
                stderrTail.removeFirst();
            }
        }
    }

    long pid() {
        return process.pid();
    }

    /** True while the process exists and is not a zombie. */
    boolean running() {
        Process p = process;
        return p.isAlive() && ProcessLiveness.running(p.pid());
    }

    /** Runs {@code action} (on another thread) once the worker process has exited. */
    void onExit(Runnable action) {
        process.onExit().thenRun(action);
    }

    /** True once the worker printed its ready line. */
    boolean ready() {
        return ready.getCount() == 0;
    }

    /** How the launcher bound itself before starting the worker. */
    String birth() {
        return birth;
    }

    List<String> report() {
        synchronized (report) {
            return List.copyOf(report);
        }
    }

    /** {@code worker 1 (node 0, shards [1], pid 1234)}. */
    String label() {
        Process p = process;
        return "worker " + index + " (node " + node + ", shards " + Arrays.toString(ranks)
                + (p == null ? "" : ", pid " + p.pid()) + ")";
    }

    /**
     * How the worker ended ({@code was killed by signal 9 (SIGKILL)}), waiting up to {@code waitMs}
     * for it to end; null while it still runs. The last lines of its stderr follow.
     */
    String exitDescription(long waitMs) {
        Process p = process;
        try {
            if (!p.waitFor(waitMs, TimeUnit.MILLISECONDS)) {
                return null;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
        String how = new WorkerExit(index, p.pid(), p.exitValue()).describe();
        how = how.substring(how.indexOf(") ") + 2); // "was killed by ..." / "exited with status ..."
        List<String> tail = stderrTail();
        return how + (tail.isEmpty() ? "" : ": " + String.join(" | ", tail));
    }

    List<String> stderrTail() {
        try {
            Thread.sleep(50); // let the reader catch the last lines of a worker that just exited
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (stderrTail) {
            return new ArrayList<>(stderrTail);
        }
    }

    /** Waits up to {@code waitMs} for the worker to exit by itself. */
    void awaitExit(long waitMs) {
        Process p = process;
        if (p == null) {
            return;
        }
        try {
            p.waitFor(waitMs, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Kills the worker if it still runs and ends the launcher thread (bounded wait). */
    void close() {
        release.countDown();
        try {
            launcher.join(EXIT_WAIT_MS * 2);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
