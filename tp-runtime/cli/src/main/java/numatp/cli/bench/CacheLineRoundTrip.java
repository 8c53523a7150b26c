package numatp.cli.bench;

import numatp.topology.IdSet;
import numatp.topology.binding.NumaBinder;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * Measures the floor under small allreduces: two threads pass a counter back and forth through
 * two flags 128 bytes apart (release store, acquire load), so each round trip moves one cache
 * line each way between their CPUs. Median over batches of round trips, after a warm-up batch.
 */
public final class CacheLineRoundTrip {
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
    private static final long PING = 0;
    private static final long PONG = 128;

    private CacheLineRoundTrip() {
    }

    /**
     * Median round-trip time in ns between a thread on {@code cpuA} and one on {@code cpuB}
     * (-1: unpinned), over {@code batches} batches of {@code roundsPerBatch} round trips.
     */
    public static double measureNs(int cpuA, int cpuB, int batches, int roundsPerBatch) throws InterruptedException {
        if (batches < 1 || roundsPerBatch < 1) {
            throw new IllegalArgumentException("batches and rounds must be >= 1: " + batches + ", " + roundsPerBatch);
        }
        try (Arena arena = Arena.ofShared()) {
            MemorySegment flags = arena.allocate(256, 128);
            long total = (long) (batches + 1) * roundsPerBatch;
            long[] batchNs = new long[batches + 1];
            Throwable[] failure = new Throwable[1];
            Thread echo = Thread.ofPlatform().name("round-trip-echo").start(() -> {
                try {
                    pin(cpuB);
                    for (long i = 1; i <= total; i++) {
                        while ((long) LONG.getAcquire(flags, PING) < i) {
                            Thread.onSpinWait();
                        }
                        LONG.setRelease(flags, PONG, i);
                    }
                } catch (Throwable t) {
                    failure[0] = t;
                    LONG.setRelease(flags, PONG, Long.MAX_VALUE);
                }
            });
            Thread ping = Thread.ofPlatform().name("round-trip-ping").start(() -> {
                try {
                    pin(cpuA);
                    long i = 0;
                    for (int b = 0; b <= batches; b++) {
                        long t0 = System.nanoTime();
                        for (int k = 0; k < roundsPerBatch; k++) {
                            i++;
                            LONG.setRelease(flags, PING, i);
                            while ((long) LONG.getAcquire(flags, PONG) < i) {
                                Thread.onSpinWait();
                            }
                        }
                        batchNs[b] = System.nanoTime() - t0;
                    }
                } catch (Throwable t) {
                    failure[0] = t;
                    LONG.setRelease(flags, PING, Long.MAX_VALUE);
                }
            });
            ping.join();
            echo.join();
            if (failure[0] != null) {
                throw new IllegalStateException("round-trip measurement failed: " + failure[0].getMessage(), failure[0]);
            }
            long[] timed = Arrays.copyOfRange(batchNs, 1, batchNs.length);
            Arrays.sort(timed);
            return (double) timed[timed.length / 2] / roundsPerBatch;
        }
    }

    private static void pin(int cpu) {
        if (cpu >= 0) {
            NumaBinder.system().pinCurrentThreadToCpus(IdSet.of(cpu));
        }
    }
}
