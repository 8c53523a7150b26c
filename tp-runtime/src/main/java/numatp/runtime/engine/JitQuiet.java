package numatp.runtime.engine;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;

/**
 * When a benchmark's warm-up may stop: after a minimum time, once the JIT has spent no time
 * compiling for {@link #QUIET_MILLIS} (late C2 compilations share the cores with the measured
 * threads: stories260K's first measured runs on two pinned shards ran at 220-580 tok/s against
 * ~11,000 after a fixed 3 s warm-up), and in any case after a maximum time. Without JIT
 * timing (some JVMs) the minimum alone decides.
 */
public final class JitQuiet {
    public static final long QUIET_MILLIS = 500;

    private final CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    private final boolean timed = jit != null && jit.isCompilationTimeMonitoringSupported();
    private final long minEndNs;
    private final long maxEndNs;
    private long lastCompileMillis = -1;
    private long quietSinceNs;

    public JitQuiet(double minSeconds, double maxSeconds) {
        long now = System.nanoTime();
        this.minEndNs = now + (long) (minSeconds * 1e9);
        this.maxEndNs = now + (long) (maxSeconds * 1e9);
        this.quietSinceNs = now;
    }

    /** True once the maximum time has passed. */
    public boolean pastMaximum() {
        return System.nanoTime() >= maxEndNs;
    }

    /** Call between warm-up runs: true once the warm-up may stop. */
    public boolean reached() {
        long now = System.nanoTime();
        if (now >= maxEndNs) {
            return true;
        }
        if (!timed) {
            return now >= minEndNs;
        }
        long compiled = jit.getTotalCompilationTime();
        if (compiled != lastCompileMillis) {
            lastCompileMillis = compiled;
            quietSinceNs = now;
        }
        return now >= minEndNs && now - quietSinceNs >= QUIET_MILLIS * 1_000_000L;
    }
}
