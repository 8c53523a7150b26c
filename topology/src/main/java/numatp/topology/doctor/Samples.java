package numatp.topology.doctor;

import numatp.topology.linux.KernelFiles;

import java.time.Duration;
import java.util.Optional;

/**
 * Two {@link ProcSnapshot}s an interval apart, for the checks that need a rate (CPU steal,
 * busy processes). An interval of zero takes no samples: those checks then answer unknown.
 *
 * @param interval how long passed between the snapshots, as requested
 * @param before   the first snapshot; empty when not sampled
 * @param after    the second snapshot; empty when not sampled
 */
public record Samples(Duration interval, Optional<ProcSnapshot> before, Optional<ProcSnapshot> after) {
    /** Waits between the snapshots; tests pass one that rewrites a fake {@code /proc} instead. */
    @FunctionalInterface
    public interface Pause {
        void pause(Duration interval) throws InterruptedException;

        /** Sleeping for the interval: this measures a rate over wall time, it waits for no condition. */
        Pause SLEEP = interval -> Thread.sleep(interval);
    }

    public Samples {
        if (interval == null || interval.isNegative()) {
            throw new IllegalArgumentException("sample interval must be >= 0: " + interval);
        }
        if (before.isPresent() != after.isPresent()) {
            throw new IllegalArgumentException("samples come in pairs");
        }
    }

    public static Samples none() {
        return new Samples(Duration.ZERO, Optional.empty(), Optional.empty());
    }

    /** Snapshot, pause for {@code interval}, snapshot again; nothing when the interval is zero. */
    public static Samples take(KernelFiles files, Duration interval, Pause pause) throws InterruptedException {
        if (interval.isZero()) {
            return none();
        }
        ProcSnapshot first = ProcSnapshot.read(files);
        pause.pause(interval);
        return new Samples(interval, Optional.of(first), Optional.of(ProcSnapshot.read(files)));
    }

    public boolean sampled() {
        return before.isPresent();
    }

    /** The interval in clock ticks, at least 1. */
    long intervalTicks() {
        return Math.max(1, interval.toMillis() * ProcSnapshot.TICKS_PER_SECOND / 1000);
    }
}
