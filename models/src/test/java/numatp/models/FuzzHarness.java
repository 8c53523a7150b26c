package numatp.models;

import numatp.topology.NumatpException;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Runs seeded fuzz cases for a bounded time and counts outcomes by class: a case that
 * returns is "ok", one that throws the project's exception counts under its class, and
 * anything else (another exception, an Error such as OutOfMemoryError) fails with the
 * root seed, the case number and the case's description, so it can be replayed with
 * {@code -Dnumatp.fuzz.seed=SEED}. Cases are numbered from the root seed, so case N is the
 * same on every run with that seed whatever the time budget.
 */
public final class FuzzHarness {
    /** One case: draw from {@code rnd}, describe what was done in {@code what}, then load. */
    public interface Case {
        void run(SplittableRandom rnd, List<String> what) throws Exception;
    }

    private FuzzHarness() {
    }

    /** The root seed: {@code numatp.fuzz.seed} when set, else a fresh one (printed by {@link #run}). */
    public static long rootSeed() {
        String s = System.getProperty("numatp.fuzz.seed");
        return s == null || s.isBlank() ? new SplittableRandom().nextLong() : Long.parseLong(s.trim());
    }

    /**
     * Runs cases until {@code maxCases} or until {@code budgetNs} has passed after at least
     * {@code minCases}, prints the counts, and returns them ("ok" and exception class names).
     */
    public static Map<String, Integer> run(String name, long seed, long budgetNs, int minCases, int maxCases, Case c) {
        SplittableRandom root = new SplittableRandom(seed);
        Map<String, Integer> counts = new TreeMap<>();
        long start = System.nanoTime();
        int n = 0;
        while (n < maxCases && (n < minCases || System.nanoTime() - start < budgetNs)) {
            SplittableRandom rnd = root.split();
            List<String> what = new ArrayList<>();
            String outcome;
            try {
                c.run(rnd, what);
                outcome = "ok";
            } catch (NumatpException e) {
                outcome = e.getClass().getSimpleName();
            } catch (Throwable t) {
                throw new AssertionError("fuzz " + name + ": case " + n + " threw " + t + "; replay with"
                        + " -Dnumatp.fuzz.seed=" + seed + "; case: " + what, t);
            }
            counts.merge(outcome, 1, Integer::sum);
            n++;
        }
        System.out.printf("fuzz %s: seed=%d, %d cases in %.1f s: %s%n", name, seed, n,
                (System.nanoTime() - start) / 1e9, counts);
        return counts;
    }
}
