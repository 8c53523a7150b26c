package numatp.cli.bench.serve;

import java.util.Arrays;

/**
 * Summary of one sample (latencies in milliseconds): mean, population standard
 * deviation, extremes and percentiles. Percentiles interpolate linearly between the
 * two nearest ranks, {@code h = (n - 1) p} (numpy's default, which vLLM's and
 * llama.cpp's serving benchmarks report), so figures are comparable with theirs.
 * An empty sample has {@code count == 0} and every statistic {@code NaN}.
 */
public record Distribution(int count, double mean, double stddev, double min, double max,
                           double p50, double p90, double p95, double p99) {
    /** The summary of no values. */
    public static final Distribution EMPTY =
            new Distribution(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
                    Double.NaN);

    /** Summarises {@code values} (not modified). */
    public static Distribution of(double[] values) {
        int n = values.length;
        if (n == 0) {
            return EMPTY;
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        double sum = 0;
        for (double v : sorted) {
            sum += v;
        }
        double mean = sum / n;
        double squares = 0;
        for (double v : sorted) {
            double d = v - mean;
            squares += d * d;
        }
        return new Distribution(n, mean, Math.sqrt(squares / n), sorted[0], sorted[n - 1],
                percentile(sorted, 0.50), percentile(sorted, 0.90), percentile(sorted, 0.95), percentile(sorted, 0.99));
    }

    /**
     * The {@code p}-quantile ({@code 0 <= p <= 1}) of ascending {@code sorted}, interpolating
     * linearly between ranks {@code floor(h)} and {@code floor(h) + 1} where {@code h = (n - 1) p}.
     */
    public static double percentile(double[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("percentile must be in [0, 1]: " + p);
        }
        double h = (sorted.length - 1) * p;
        int lo = (int) Math.floor(h);
        if (lo >= sorted.length - 1) {
            return sorted[sorted.length - 1];
        }
        return sorted[lo] + (h - lo) * (sorted[lo + 1] - sorted[lo]);
    }

    /** {@code max - min}: the spread users call the fluctuation of token-to-token latency. */
    public double range() {
        return max - min;
    }
}
