package numatp.cli.bench.serve;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * Every figure {@code tp bench serve} reports, in report order. {@link #key()} is the
 * stable JSON name under {@code metrics} (the unit is part of it), and which
 * direction is better drives {@code --compare}.
 */
public enum Metric {
    REQUESTS_OK("requestsOk", "requests ok", Better.HIGHER, s -> s.ok()),
    REQUESTS_FAILED("requestsFailed", "requests failed", Better.LOWER, s -> s.failed()),
    REQUESTS_429("requests429", "requests HTTP 429", Better.LOWER, s -> s.rateLimited()),
    DURATION_S("durationS", "duration s", Better.NEITHER, ServeBenchSummary::durationS),
    REQUESTS_PER_S("requestsPerS", "requests/s", Better.HIGHER, ServeBenchSummary::requestsPerS),
    OUTPUT_TOKENS_PER_S("outputTokensPerS", "output tokens/s", Better.HIGHER, ServeBenchSummary::outputTokensPerS),
    TOTAL_TOKENS_PER_S("totalTokensPerS", "total tokens/s", Better.HIGHER, ServeBenchSummary::totalTokensPerS),
    PROMPT_TOKENS_AVG("promptTokensAvg", "prompt tokens/request", Better.NEITHER, ServeBenchSummary::promptTokensAvg),
    OUTPUT_TOKENS_AVG("outputTokensAvg", "output tokens/request", Better.NEITHER, ServeBenchSummary::outputTokensAvg),
    OUTPUT_TOKENS_PER_CHUNK("outputTokensPerChunk", "output tokens/chunk", Better.NEITHER,
            ServeBenchSummary::outputTokensPerChunk),
    LATENCY_AVG_MS("latencyAvgMs", "latency avg ms", Better.LOWER, s -> s.latencyMs().mean()),
    LATENCY_P50_MS("latencyP50Ms", "latency p50 ms", Better.LOWER, s -> s.latencyMs().p50()),
    LATENCY_P95_MS("latencyP95Ms", "latency p95 ms", Better.LOWER, s -> s.latencyMs().p95()),
    LATENCY_P99_MS("latencyP99Ms", "latency p99 ms", Better.LOWER, s -> s.latencyMs().p99()),
    LATENCY_MAX_MS("latencyMaxMs", "latency max ms", Better.LOWER, s -> s.latencyMs().max()),
    TTFT_AVG_MS("ttftAvgMs", "TTFT avg ms", Better.LOWER, s -> s.ttftMs().mean()),
    TTFT_P50_MS("ttftP50Ms", "TTFT p50 ms", Better.LOWER, s -> s.ttftMs().p50()),
    TTFT_P95_MS("ttftP95Ms", "TTFT p95 ms", Better.LOWER, s -> s.ttftMs().p95()),
    TTFT_P99_MS("ttftP99Ms", "TTFT p99 ms", Better.LOWER, s -> s.ttftMs().p99()),
    TTFT_MAX_MS("ttftMaxMs", "TTFT max ms", Better.LOWER, s -> s.ttftMs().max()),
    ITL_AVG_MS("itlAvgMs", "ITL avg ms", Better.LOWER, s -> s.itlMs().mean()),
    ITL_P50_MS("itlP50Ms", "ITL p50 ms", Better.LOWER, s -> s.itlMs().p50()),
    ITL_P95_MS("itlP95Ms", "ITL p95 ms", Better.LOWER, s -> s.itlMs().p95()),
    ITL_P99_MS("itlP99Ms", "ITL p99 ms", Better.LOWER, s -> s.itlMs().p99()),
    ITL_MIN_MS("itlMinMs", "ITL min ms", Better.NEITHER, s -> s.itlMs().min()),
    ITL_MAX_MS("itlMaxMs", "ITL max ms", Better.LOWER, s -> s.itlMs().max()),
    ITL_MAX_MINUS_MIN_MS("itlMaxMinusMinMs", "ITL max-min ms", Better.LOWER, s -> s.itlMs().range()),
    ITL_STDDEV_MS("itlStddevMs", "ITL stddev ms", Better.LOWER, s -> s.itlMs().stddev()),
    TPOT_AVG_MS("tpotAvgMs", "TPOT avg ms", Better.LOWER, s -> s.tpotMs().mean()),
    TPOT_P50_MS("tpotP50Ms", "TPOT p50 ms", Better.LOWER, s -> s.tpotMs().p50()),
    TPOT_P95_MS("tpotP95Ms", "TPOT p95 ms", Better.LOWER, s -> s.tpotMs().p95()),
    TPOT_P99_MS("tpotP99Ms", "TPOT p99 ms", Better.LOWER, s -> s.tpotMs().p99());

    /** Which way a change is an improvement. */
    public enum Better { HIGHER, LOWER, NEITHER }

    private final String key;
    private final String label;
    private final Better better;
    private final ToDoubleFunction<ServeBenchSummary> value;

    Metric(String key, String label, Better better, ToDoubleFunction<ServeBenchSummary> value) {
        this.key = key;
        this.label = label;
        this.better = better;
        this.value = value;
    }

    public String key() {
        return key;
    }

    /** Short name with unit, for tables. */
    public String label() {
        return label;
    }

    public Better better() {
        return better;
    }

    /** The value for {@code summary}; NaN when not measured (e.g. TTFT without streaming). */
    public double of(ServeBenchSummary summary) {
        return value.applyAsDouble(summary);
    }

    /**
     * Every metric by key, in report order, then the two fluctuation verdicts
     * ({@code itlMaxMinusMinWithin1Ms}, {@code itlStddevWithin1Ms}); values not measured are null.
     */
    public static Map<String, Object> toJson(ServeBenchSummary summary) {
        Map<String, Object> metrics = new LinkedHashMap<>();
        for (Metric m : values()) {
            double v = m.of(summary);
            metrics.put(m.key, Double.isNaN(v) ? null : isCount(m) ? (Object) (long) v : (Object) v);
        }
        double range = summary.itlMs().range();
        double stddev = summary.itlMs().stddev();
        metrics.put("itlMaxMinusMinWithin1Ms", Double.isNaN(range) ? null : range <= ServeBenchSummary.FLUCTUATION_BAR_MS);
        metrics.put("itlStddevWithin1Ms", Double.isNaN(stddev) ? null : stddev <= ServeBenchSummary.FLUCTUATION_BAR_MS);
        return metrics;
    }

    private static boolean isCount(Metric m) {
        return m == REQUESTS_OK || m == REQUESTS_FAILED || m == REQUESTS_429;
    }
}
