package numatp.runtime.engine;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.function.LongSupplier;

/**
 * When a warm-up may stop: after a minimum time, once the JIT has spent no time compiling for
 * {@link #QUIET_MILLIS} (late C2 compilations share the cores with the measured threads:
 * stories260K's first measured runs on two pinned shards ran at 220-580 tok/s against ~11,000
 * after a fixed 3 s warm-up), and in any case after a maximum time. Without JIT timing (some
 * JVMs) the minimum alone decides. Call {@link #settled()} or {@link #reached()} between rounds.
 */
public final class JitQuiet {
    public static final long QUIET_MILLIS = 500;

    private final LongSupplier nanoClock;
    /** Total JIT compilation time in ms, or null when the JVM does not measure it. */
    private final LongSupplier compileMillis;
    private final long minEndNs;
    private final long maxEndNs;
    private long lastCompileMillis = -1;
    private long quietSinceNs;

    public JitQuiet(double minSeconds, double maxSeconds) {
        this(minSeconds, maxSeconds, System::nanoTime, jitClock());
    }

    JitQuiet(double minSeconds, double maxSeconds, LongSupplier nanoClock, LongSupplier compileMillis) {
        this.nanoClock = nanoClock;
        this.compileMillis = compileMillis;
        long now = nanoClock.getAsLong();
        this.minEndNs = now + (long) (minSeconds * 1e9);
        this.maxEndNs = now + (long) (maxSeconds * 1e9);
        this.quietSinceNs = now;
    }

    private static LongSupplier jitClock() {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        return jit != null && jit.isCompilationTimeMonitoringSupported() ? jit::getTotalCompilationTime : null;
    }

    /** The minimum time has passed and the JIT has been idle for {@link #QUIET_MILLIS}. */
    public boolean settled() {
        long now = nanoClock.getAsLong();
        if (compileMillis == null) {
            return now >= minEndNs;
        }
        long compiled = compileMillis.getAsLong();
        if (compiled != lastCompileMillis) {
            lastCompileMillis = compiled;
            quietSinceNs = now;
        }
        return now >= minEndNs && now - quietSinceNs >= QUIET_MILLIS * 1_000_000L;
    }

    /** The maximum time has passed. */
    public boolean expired() {
        return nanoClock.getAsLong() >= maxEndNs;
    }

    /** The warm-up may stop: {@link #settled()} or {@link #expired()}. */
    public boolean reached() {
        return settled() || expired();
    }
}
