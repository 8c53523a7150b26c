package numatp.collectives;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReferenceArray;

/** Runs one body per rank on its own thread and collects what each rank threw. */
final class RankThreads {
    interface Body {
        void run(Communicator communicator) throws Exception;
    }

    private RankThreads() {
    }

    /** Runs {@code body} on every rank; returns each rank's failure (null where it succeeded). */
    static List<Throwable> runAll(List<Communicator> ranks, Body body) throws InterruptedException {
        AtomicReferenceArray<Throwable> failures = new AtomicReferenceArray<>(ranks.size());
        List<Thread> threads = new ArrayList<>();
        for (Communicator c : ranks) {
            Thread t = Thread.ofPlatform().name("rank-" + c.rank()).daemon().start(() -> {
                try {
                    body.run(c);
                } catch (Throwable e) {
                    failures.set(c.rank(), e);
                }
            });
            threads.add(t);
        }
        for (Thread t : threads) {
            t.join(); // the test's @Timeout bounds this
        }
        List<Throwable> result = new ArrayList<>();
        for (int r = 0; r < ranks.size(); r++) {
            result.add(failures.get(r));
        }
        return result;
    }

    /** As {@link #runAll} but rethrows the first failure, with {@code context} (the seed) in the message. */
    static void run(List<Communicator> ranks, String context, Body body) throws InterruptedException {
        List<Throwable> failures = runAll(ranks, body);
        for (int r = 0; r < failures.size(); r++) {
            if (failures.get(r) != null) {
                throw new AssertionError(context + ": rank " + r + " failed: " + failures.get(r), failures.get(r));
            }
        }
    }
}
