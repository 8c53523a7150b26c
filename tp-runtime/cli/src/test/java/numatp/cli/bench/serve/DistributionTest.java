package numatp.cli.bench.serve;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DistributionTest {
    /** The naive twin: the value of rank r is the x with count(< x) <= r < count(<= x), found by counting. */
    private static double rankByCounting(double[] values, int rank) {
        for (double x : values) {
            int below = 0;
            int atOrBelow = 0;
            for (double y : values) {
                below += y < x ? 1 : 0;
                atOrBelow += y <= x ? 1 : 0;
            }
            if (below <= rank && rank < atOrBelow) {
                return x;
            }
        }
        throw new AssertionError("no value has rank " + rank);
    }

    private static double naivePercentile(double[] values, double p) {
        double h = (values.length - 1) * p;
        int lo = (int) Math.floor(h);
        double low = rankByCounting(values, lo);
        if (lo + 1 >= values.length) {
            return low;
        }
        return low + (h - lo) * (rankByCounting(values, lo + 1) - low);
    }

    private static double[] sample(SplittableRandom random, int n) {
        double[] v = new double[n];
        int shape = random.nextInt(3);
        for (int i = 0; i < n; i++) {
            v[i] = switch (shape) {
                case 0 -> random.nextDouble() * 100;                 // spread out
                case 1 -> random.nextInt(5);                           // many ties
                default -> 20 + (random.nextInt(50) == 0 ? 500 : random.nextGaussian()); // ITL-like with outliers
            };
        }
        return v;
    }

    @Test
    void matchesTheRankCountingTwinOnSeededSamples() {
        long seed = new SplittableRandom().nextLong();
        SplittableRandom random = new SplittableRandom(seed);
        for (int trial = 0; trial < 400; trial++) {
            int n = trial < 5 ? trial + 1 : 1 + random.nextInt(trial % 10 == 0 ? 400 : 60);
            double[] v = sample(random, n);
            Distribution d = Distribution.of(v);
            String where = "seed " + seed + ", trial " + trial + ", n " + n;
            double scale = Math.max(1, Math.abs(d.max()));
            double tolerance = 1e-9 * scale;
            assertEquals(n, d.count(), where);
            assertEquals(naivePercentile(v, 0.50), d.p50(), tolerance, where);
            assertEquals(naivePercentile(v, 0.90), d.p90(), tolerance, where);
            assertEquals(naivePercentile(v, 0.95), d.p95(), tolerance, where);
            assertEquals(naivePercentile(v, 0.99), d.p99(), tolerance, where);
            assertEquals(naivePercentile(v, 0), d.min(), 0, where);
            assertEquals(naivePercentile(v, 1), d.max(), 0, where);
            double sum = 0;
            double squares = 0;
            for (double x : v) {
                sum += x;
                squares += x * x;
            }
            double mean = sum / n;
            assertEquals(mean, d.mean(), tolerance, where);
            assertEquals(Math.sqrt(Math.max(0, squares / n - mean * mean)), d.stddev(), 1e-6 * scale, where);
            assertEquals(d.max() - d.min(), d.range(), 0, where);
            assertTrue(d.min() <= d.p50() && d.p50() <= d.p90() && d.p90() <= d.p95() && d.p95() <= d.p99()
                    && d.p99() <= d.max(), where);
        }
    }

    @Test
    void interpolatesBetweenRanksLikeNumpy() {
        // numpy.percentile([1, 2, 3, 4], [50, 95, 99]) == [2.5, 3.85, 3.97]
        Distribution d = Distribution.of(new double[] {4, 1, 3, 2});
        assertEquals(2.5, d.p50(), 1e-12);
        assertEquals(3.85, d.p95(), 1e-12);
        assertEquals(3.97, d.p99(), 1e-12);
        assertEquals(Math.sqrt(1.25), d.stddev(), 1e-12); // population stddev, numpy.std's default
        double[] hundred = new double[100];
        for (int i = 0; i < 100; i++) {
            hundred[i] = i + 1;
        }
        assertEquals(99.01, Distribution.of(hundred).p99(), 1e-9);
    }

    @Test
    void singleValueAndEmptySamples() {
        Distribution one = Distribution.of(new double[] {7.5});
        assertEquals(7.5, one.p50());
        assertEquals(7.5, one.p99());
        assertEquals(0, one.stddev());
        assertEquals(0, one.range());
        Distribution none = Distribution.of(new double[0]);
        assertEquals(0, none.count());
        assertTrue(Double.isNaN(none.p50()) && Double.isNaN(none.mean()) && Double.isNaN(none.range()));
    }

    @Test
    void doesNotReorderTheCallersArray() {
        double[] v = {3, 1, 2};
        Distribution.of(v);
        assertEquals(3, v[0]);
        assertEquals(1, v[1]);
    }
}
