package numatp.collectives.mpi;

import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Bounds every blocking MPI call in time. MPI has no timeout of its own: a peer host that
 * is stopped, or whose link dropped without the TCP connection failing, leaves the others
 * blocked inside MPI forever. One daemon thread checks the call in flight; when it has run
 * longer than the collective timeout, {@code onTimeout} gets a message naming the call and
 * the communicator, and by default this process prints it and ends with status
 * {@link #EXIT_TIMEOUT}, which makes mpirun end the job (a thread blocked in MPI cannot be
 * interrupted, so failing the call is not an option).
 */
public final class MpiWatchdog implements AutoCloseable {
    /** Exit status of a process ended by the watchdog. */
    public static final int EXIT_TIMEOUT = 75;

    private final long timeoutNs;
    private final Consumer<String> onTimeout;
    private final Thread thread;
    private volatile String call; // in flight, null when none
    private volatile long startNs;
    private volatile boolean closed;

    public MpiWatchdog(long timeoutMs, Consumer<String> onTimeout) {
        if (timeoutMs <= 0) {
            throw new MpiException("--collective-timeout-ms must be > 0: " + timeoutMs);
        }
        this.timeoutNs = TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        this.onTimeout = onTimeout;
        this.thread = Thread.ofPlatform().daemon().name("numatp-mpi-watchdog").start(this::watch);
    }

    /** Prints {@code message} to stderr and halts with {@link #EXIT_TIMEOUT}. */
    public static MpiWatchdog halting(long timeoutMs) {
        return new MpiWatchdog(timeoutMs, message -> {
            System.err.println("error: " + message);
            System.err.flush();
            Runtime.getRuntime().halt(EXIT_TIMEOUT);
        });
    }

    /** Marks {@code name} as in flight (one call at a time: callers are serialised). */
    void enter(String name) {
        startNs = System.nanoTime();
        call = name;
    }

    void exit() {
        call = null;
    }

    private void watch() {
        while (!closed) {
            String current = call;
            long started = startNs;
            if (current != null && System.nanoTime() - started > timeoutNs) {
                if (call == current && startNs == started) {
                    onTimeout.accept(current + " has not completed in " + TimeUnit.NANOSECONDS.toMillis(timeoutNs)
                            + " ms (--collective-timeout-ms): a peer host is stopped, dead or unreachable;"
                            + " ending this process so that mpirun ends the job");
                    call = null;
                }
            }
            try {
                Thread.sleep(Math.max(1, Math.min(100, TimeUnit.NANOSECONDS.toMillis(timeoutNs) / 10)));
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
    }
}
