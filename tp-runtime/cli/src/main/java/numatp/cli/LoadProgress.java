package numatp.cli;

import numatp.runtime.config.ByteSize;
import numatp.weights.SliceAllocator;

import java.io.PrintWriter;
import java.lang.foreign.MemorySegment;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts the weight bytes an engine allocates while it loads, per node, and shows the
 * progress on stderr: a bar redrawn in place on a terminal, otherwise a line every few
 * seconds (logs stay readable). The expected total is an estimate, so the bar stops at
 * 99% until {@link #done()}.
 */
final class LoadProgress implements SliceAllocator, AutoCloseable {
    private static final int BAR_WIDTH = 30;
    private static final long TERMINAL_PERIOD_MS = 100;
    private static final long LOG_PERIOD_MS = 5000;

    private final SliceAllocator delegate;
    private final long expectedBytes;
    private final PrintWriter err;
    private final boolean terminal;
    private final AtomicLong allocated = new AtomicLong();
    private final Map<Integer, Long> byNode = new TreeMap<>(); // guarded by itself
    private final long startNs = System.nanoTime();
    private final Thread reporter;
    private volatile boolean finished;

    LoadProgress(SliceAllocator delegate, long expectedBytes, PrintWriter err, boolean terminal) {
        this.delegate = delegate;
        this.expectedBytes = Math.max(1, expectedBytes);
        this.err = err;
        this.terminal = terminal;
        this.reporter = Thread.ofPlatform().daemon().name("tp-load-progress").start(this::report);
    }

    /** Whether stderr is likely a terminal (the JDK only tells about the console as a whole). */
    static boolean stderrIsTerminal() {
        var console = System.console();
        return console != null && console.isTerminal() && System.getenv("TERM") != null
                && !"dumb".equals(System.getenv("TERM"));
    }

    @Override
    public MemorySegment allocate(int node, long bytes) {
        MemorySegment segment = delegate.allocate(node, bytes);
        allocated.addAndGet(bytes);
        synchronized (byNode) {
            byNode.merge(node, bytes, Long::sum);
        }
        return segment;
    }

    /** Bytes allocated on each node so far. */
    Map<Integer, Long> bytesByNode() {
        synchronized (byNode) {
            return new TreeMap<>(byNode);
        }
    }

    /** Loading finished: prints the final line. */
    void done() {
        finished = true;
        reporter.interrupt();
        try {
            reporter.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        double seconds = (System.nanoTime() - startNs) / 1e9;
        String line = String.format(Locale.ROOT, "loading weights: %s done in %.2f s",
                ByteSize.format(allocated.get()), seconds);
        if (terminal) {
            err.print("\r" + bar(1.0) + " " + line + "\u001b[K\n");
        } else {
            err.println(line);
        }
        err.flush();
    }

    @Override
    public double fractionOnNode(MemorySegment segment, int node) {
        return delegate.fractionOnNode(segment, node);
    }

    @Override
    public String description() {
        return delegate.description();
    }

    @Override
    public void close() {
        if (!finished) {
            finished = true;
            reporter.interrupt();
            if (terminal) {
                err.print("\n");
                err.flush();
            }
        }
    }

    private void report() {
        long period = terminal ? TERMINAL_PERIOD_MS : LOG_PERIOD_MS;
        while (!finished) {
            try {
                Thread.sleep(period);
            } catch (InterruptedException e) {
                return;
            }
            if (finished) {
                return;
            }
            long now = allocated.get();
            double share = Math.min(0.99, (double) now / expectedBytes);
            String text = String.format(Locale.ROOT, "%3.0f%% %s of ~%s", 100 * share, ByteSize.format(now),
                    ByteSize.format(expectedBytes));
            if (terminal) {
                err.print("\r" + bar(share) + " loading weights " + text + "\u001b[K");
            } else {
                err.println("loading weights: " + text);
            }
            err.flush();
        }
    }

    private static String bar(double share) {
        int full = (int) Math.round(share * BAR_WIDTH);
        return "[" + "#".repeat(full) + " ".repeat(BAR_WIDTH - full) + "]";
    }
}
