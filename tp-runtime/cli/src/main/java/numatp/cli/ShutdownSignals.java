package numatp.cli;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * SIGTERM/SIGINT handling for long-running commands. A JVM shutdown hook cannot choose
 * the exit status (after SIGTERM the JVM halts with 143 once hooks end), so the first
 * signal runs {@code graceful} and the command returns normally; the second runs
 * {@code abort}. Uses {@code sun.misc.Signal} (jdk.unsupported, on every JDK): javac
 * warns about it here, the one place that touches it.
 */
final class ShutdownSignals {
    private static final System.Logger LOG = System.getLogger(ShutdownSignals.class.getName());

    private ShutdownSignals() {
    }

    /** Returns false when the signals could not be taken (e.g. {@code -Xrs}); the caller's hook then applies. */
    static boolean install(Runnable graceful, Runnable abort) {
        AtomicInteger received = new AtomicInteger();
        sun.misc.SignalHandler handler = signal -> {
            if (received.getAndIncrement() == 0) {
                graceful.run();
            } else {
                abort.run();
            }
        };
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("TERM"), handler);
            sun.misc.Signal.handle(new sun.misc.Signal("INT"), handler);
            return true;
        } catch (IllegalArgumentException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot handle SIGTERM/SIGINT (" + e.getMessage()
                    + "); a signal will still drain requests, but the exit status will be 143");
            return false;
        }
    }
}
