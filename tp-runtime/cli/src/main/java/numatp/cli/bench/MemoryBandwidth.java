package numatp.cli.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Measures memory copy bandwidth, the ceiling for allreduce: {@code threads} threads each copy
 * their own {@code bytesPerThread} buffer; bandwidth counts bytes read plus bytes written (as
 * STREAM's copy does). Best of a few repetitions.
 */
public final class MemoryBandwidth {
    private MemoryBandwidth() {
    }

    /** Copy bandwidth in bytes per second. */
    public static double measure(int threads, long bytesPerThread, int repetitions) throws InterruptedException {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment[] src = new MemorySegment[threads];
            MemorySegment[] dst = new MemorySegment[threads];
            for (int t = 0; t < threads; t++) {
                src[t] = arena.allocate(bytesPerThread, 4096).fill((byte) (t + 1));
                dst[t] = arena.allocate(bytesPerThread, 4096).fill((byte) 0);
            }
            double best = 0;
            for (int rep = 0; rep < repetitions; rep++) {
                long[] elapsed = new long[threads];
                List<Thread> workers = new ArrayList<>();
                java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(threads);
                for (int t = 0; t < threads; t++) {
                    int id = t;
                    workers.add(Thread.ofPlatform().start(() -> {
                        try {
                            start.await();
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                        long t0 = System.nanoTime();
                        MemorySegment.copy(src[id], 0, dst[id], 0, bytesPerThread);
                        elapsed[id] = System.nanoTime() - t0;
                    }));
                }
                long slowest = 0;
                for (int t = 0; t < threads; t++) {
                    workers.get(t).join();
                    slowest = Math.max(slowest, elapsed[t]);
                }
                best = Math.max(best, 2.0 * bytesPerThread * threads / (slowest / 1e9));
            }
            return best;
        }
    }
}
