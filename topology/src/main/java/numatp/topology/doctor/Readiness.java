package numatp.topology.doctor;

import java.util.Locale;

/**
 * How ready one aspect of the host is to serve. The order is the severity: a report's
 * overall readiness is its worst finding, {@link #UNKNOWN} counting as {@link #OK}
 * (a check that cannot look says why, and never blocks serving).
 */
public enum Readiness {
    /** Nothing to do. */
    OK,
    /** Cannot tell: the file is absent (a container, an old kernel, a capture without it) or not sampled. */
    UNKNOWN,
    /** Serving works, but latency or throughput suffers until the fix is applied. */
    WARN,
    /** Serving as planned is not possible, or will stall, until the fix is applied. */
    FAIL;

    /** The stable lower-case name used in text and JSON: {@code ok}, {@code warn}, {@code fail}, {@code unknown}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The worse of the two; unknown ranks between ok and warn. */
    public Readiness worst(Readiness other) {
        return other.ordinal() > ordinal() ? other : this;
    }
}
