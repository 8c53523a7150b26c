package numatp.collectives.process;

import numatp.collectives.CollectiveException;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * Starts one worker process per rank and supervises them until every one has exited: the first
 * worker that fails makes the launcher kill the others, and the error names each failed rank,
 * its pid, how it ended and the tail of its stderr. Workers read their stdout back through a pipe
 * and need no temporary files. Each worker gets {@link WorkerLifetime#LAUNCHER_PID_ENV}, so one
 * that calls {@link WorkerLifetime#bindToLauncher()} dies with this process.
 *
 * <p>The parent-death signal fires when the <em>thread</em> that started a worker exits, so the
 * thread that calls {@link #start} must be the one that calls {@link #awaitAll} and
 * {@link #close}.
 */
public final class RankLauncher implements AutoCloseable {
    /** Lines of each worker's stderr kept for the error message. */
    static final int STDERR_TAIL_LINES = 8;
    private static final long DRAIN_WAIT_MS = 2_000;

    private final List<Process> workers = new ArrayList<>();
    private final List<StreamTail> stdout = new ArrayList<>();
    private final List<StreamTail> stderr = new ArrayList<>();
    /** Ranks in the order their processes exited. */
    private final LinkedBlockingQueue<Integer> exits = new LinkedBlockingQueue<>();

    private RankLauncher() {
    }

    /**
     * Starts {@code commands.get(r)} as rank r. {@code onStdoutLine} (may be null) sees each
     * stdout line as (rank, line) on the rank's reader thread.
     */
    public static RankLauncher start(List<List<String>> commands, BiConsumer<Integer, String> onStdoutLine) {
        RankLauncher launcher = new RankLauncher();
        String self = Long.toString(ProcessHandle.current().pid());
        try {
            for (int r = 0; r < commands.size(); r++) {
                int rank = r;
                ProcessBuilder builder = new ProcessBuilder(commands.get(r));
                builder.environment().put(WorkerLifetime.LAUNCHER_PID_ENV, self);
                Process p;
                try {
                    p = builder.start();
                } catch (IOException e) {
                    throw new CollectiveException("cannot start worker rank " + rank + " (" + commands.get(r).getFirst()
                            + "): " + e.getMessage(), e);
                }
                launcher.workers.add(p);
                launcher.stdout.add(new StreamTail(p.getInputStream(), "numatp-rank-" + rank + "-stdout", 0,
                        onStdoutLine == null ? null : line -> onStdoutLine.accept(rank, line)));
                launcher.stderr.add(new StreamTail(p.getErrorStream(), "numatp-rank-" + rank + "-stderr",
                        STDERR_TAIL_LINES, null));
                p.onExit().thenRun(() -> launcher.exits.add(rank));
            }
        } catch (RuntimeException e) {
            launcher.close();
            throw e;
        }
        return launcher;
    }

    public int size() {
        return workers.size();
    }

    public long pid(int rank) {
        return workers.get(rank).pid();
    }

    /**
     * Waits until every worker has exited and returns each rank's stdout lines. The first failure
     * (or the timeout) kills the remaining workers and throws a {@link CollectiveException} naming
     * every rank that failed by itself.
     */
    public List<List<String>> awaitAll(long timeoutNs) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutNs;
        List<WorkerExit> failures = new ArrayList<>();
        boolean[] exited = new boolean[workers.size()];
        int remaining = workers.size();
        while (remaining > 0) {
            Integer rank = exits.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (rank == null) {
                List<Integer> running = new ArrayList<>();
                for (int r = 0; r < exited.length; r++) {
                    if (!exited[r]) {
                        running.add(r);
                    }
                }
                close();
                throw new CollectiveException("workers " + running + " still running after "
                        + TimeUnit.NANOSECONDS.toMillis(timeoutNs) + " ms; killed them" + details(failures));
            }
            exited[rank] = true;
            remaining--;
            Process p = workers.get(rank);
            WorkerExit exit = new WorkerExit(rank, p.pid(), p.exitValue());
            if (!exit.succeeded()) {
                failures.add(exit);
                collectFailuresAndKillTheRest(failures, exited);
                throw new CollectiveException(details(failures).substring(2));
            }
        }
        List<List<String>> out = new ArrayList<>();
        for (StreamTail s : stdout) {
            out.add(s.lines(DRAIN_WAIT_MS));
        }
        return out;
    }

    /**
     * After the first failure: gives the others a moment to fail by themselves (their errors
     * usually name the cause from their side), then kills whichever still run.
     */
    private void collectFailuresAndKillTheRest(List<WorkerExit> failures, boolean[] exited) throws InterruptedException {
        long graceDeadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DRAIN_WAIT_MS / 4);
        int remaining = 0;
        for (boolean e : exited) {
            remaining += e ? 0 : 1;
        }
        while (remaining > 0) {
            Integer rank = exits.poll(Math.max(0, graceDeadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (rank == null) {
                break;
            }
            exited[rank] = true;
            remaining--;
            Process p = workers.get(rank);
            if (p.exitValue() != 0) {
                failures.add(new WorkerExit(rank, p.pid(), p.exitValue()));
            }
        }
        close();
    }

    /** Killed workers first: they are the cause; the others' errors say what they saw of it. */
    private String details(List<WorkerExit> failures) {
        List<WorkerExit> causesFirst = new ArrayList<>(failures);
        causesFirst.sort(Comparator.comparing((WorkerExit f) -> f.signal() == 0));
        StringBuilder message = new StringBuilder();
        for (WorkerExit f : causesFirst) {
            message.append("; ").append(f.describe());
            List<String> tail = stderr.get(f.rank()).lines(DRAIN_WAIT_MS);
            message.append(tail.isEmpty() ? " (nothing on stderr)" : ": " + String.join(" | ", tail));
        }
        return message.toString();
    }

    /** Kills every worker still running and waits (bounded) for them to be gone. */
    @Override
    public void close() {
        for (Process p : workers) {
            if (p.isAlive()) {
                p.destroyForcibly();
            }
        }
        for (Process p : workers) {
            try {
                if (!p.waitFor(DRAIN_WAIT_MS, TimeUnit.MILLISECONDS)) {
                    System.getLogger(RankLauncher.class.getName()).log(System.Logger.Level.WARNING,
                            "worker pid " + p.pid() + " still running " + DRAIN_WAIT_MS + " ms after SIGKILL");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
