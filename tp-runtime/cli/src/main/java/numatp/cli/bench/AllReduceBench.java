package numatp.cli.bench;

import numatp.collectives.Algorithm;
import numatp.collectives.Communicator;
import numatp.collectives.CommunicatorConfig;
import numatp.collectives.ElementType;
import numatp.collectives.shm.ShmCommunicator;
import numatp.collectives.shm.ThreadTransport;
import numatp.topology.IdSet;
import numatp.topology.binding.NumaBinder;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Times f32 allreduce for one algorithm and size with ranks as threads. Before each call every
 * rank refills its buffer from one of two patterns (so the data changes between calls and sums
 * never overflow) and the group passes a barrier; each rank times its own call, and a call's
 * time is the slowest rank's.
 */
public final class AllReduceBench {
    private AllReduceBench() {
    }

    /** Default number of timed calls for a message of {@code bytes} on {@code shards} ranks. */
    public static int defaultIterations(long bytes, int shards) {
        return (int) Math.max(10, Math.min(2000, (512L << 20) / bytes / shards));
    }

    public static AllReduceResult run(Algorithm algorithm, long bytes, int iterations, int[] nodeOfRank,
                                      CommunicatorConfig config, double copyBytesPerSecond) throws InterruptedException {
        return run(algorithm, bytes, iterations, nodeOfRank, null, config, copyBytesPerSecond, false);
    }

    /**
     * As above, with rank {@code r}'s thread pinned to CPU {@code cpuOfRank[r]} (as a plan places
     * shards); {@code cpuOfRank} null or an entry -1 leaves the thread to the scheduler. Each rank's
     * buffer comes from {@link Communicator#allocateBuffer} (peers read it in place), or when
     * {@code staged} is private to the rank's thread (copied through the shared slots).
     */
    public static AllReduceResult run(Algorithm algorithm, long bytes, int iterations, int[] nodeOfRank,
                                      int[] cpuOfRank, CommunicatorConfig config, double copyBytesPerSecond,
                                      boolean staged) throws InterruptedException {
        int shards = nodeOfRank.length;
        long count = bytes / 4;
        int warmup = warmupCalls(iterations);
        int total = warmup + iterations;
        long[][] elapsed = new long[shards][total];
        List<Communicator> group = ThreadTransport.create(nodeOfRank, config.withAlgorithm(algorithm));
        try (Arena arena = Arena.ofShared()) {
            Throwable[] failures = new Throwable[shards];
            List<Thread> threads = new ArrayList<>();
            for (Communicator c : group) {
                int r = c.rank();
                int cpu = cpuOfRank == null ? -1 : cpuOfRank[r];
                threads.add(Thread.ofPlatform().name("bench-rank-" + r).start(() -> {
                    try {
                        if (cpu >= 0) {
                            NumaBinder.system().pinCurrentThreadToCpus(IdSet.of(cpu));
                        }
                        try (Arena own = Arena.ofConfined()) {
                            MemorySegment work = staged ? own.allocate(Math.max(4, bytes), 64)
                                    : c.allocateBuffer(Math.max(4, bytes));
                            elapsed[r] = rankLoop(c, algorithm, arena, bytes, total, work);
                        }
                    } catch (Throwable e) {
                        failures[r] = e;
                        c.abort("rank " + r + " failed: " + e);
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
            for (Throwable f : failures) {
                if (f instanceof RuntimeException e) {
                    throw e;
                } else if (f != null) {
                    throw new IllegalStateException(f);
                }
            }
            long inter = 0;
            long local = 0;
            for (Communicator c : group) {
                inter += c.stats().interNodeBytes();
                local += c.stats().localBytes();
            }
            double interNode = inter + local == 0 ? 0 : 100.0 * inter / (inter + local);
            String resolved = ((ShmCommunicator) group.get(0)).resolve(bytes).flagName();
            return summarize(algorithm.flagName(), resolved, shards, bytes, slowest(elapsed, warmup), copyBytesPerSecond,
                    interNode).withRegions(RegionResult.of(group.get(0).regionPlacements()));
        } finally {
            group.forEach(Communicator::close);
        }
    }

    /**
     * One rank's side of a cell: {@code total} calls on {@code work} (at least {@code bytes}), each
     * after refilling it from one of two patterns and a barrier. Returns each call's duration in ns.
     */
    public static long[] rankLoop(Communicator c, Algorithm algorithm, Arena arena, long bytes, int total,
                                  MemorySegment work) {
        long count = bytes / 4;
        int r = c.rank();
        MemorySegment[] patterns = new MemorySegment[2];
        for (int k = 0; k < 2; k++) {
            patterns[k] = arena.allocate(Math.max(4, bytes), 64);
            for (long i = 0; i < count; i++) {
                patterns[k].setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) ((i * 31 + r * 7 + k) % 1024) / 1024f);
            }
        }
        long[] mine = new long[total];
        for (int it = 0; it < total; it++) {
            MemorySegment.copy(patterns[it & 1], 0, work, 0, bytes);
            c.barrier();
            long t0 = System.nanoTime();
            ((ShmCommunicator) c).allReduce(work, count, ElementType.F32, algorithm);
            mine[it] = System.nanoTime() - t0;
        }
        return mine;
    }

    /** Warm-up cells (bytes, calls) run per algorithm before anything is timed: enough calls for C2. */
    public static final long[][] WARM_UP = {{1 << 10, 20_000}, {4 << 10, 20_000}, {64 << 10, 1000}, {1 << 20, 20}};

    /** Number of untimed calls before the timed ones. */
    public static int warmupCalls(int iterations) {
        return Math.max(3, iterations / 10);
    }

    /** Per timed call, the slowest rank's time. */
    public static long[] slowest(long[][] elapsed, int warmup) {
        int n = elapsed[0].length - warmup;
        long[] out = new long[n];
        for (long[] rank : elapsed) {
            for (int i = 0; i < n; i++) {
                out[i] = Math.max(out[i], rank[warmup + i]);
            }
        }
        return out;
    }

    public static AllReduceResult summarize(String algorithm, String resolved, int shards, long bytes, long[] callNs,
                                     double copyBytesPerSecond, double interNodePercent) {
        long[] sorted = callNs.clone();
        Arrays.sort(sorted);
        double medianNs = sorted.length % 2 == 1 ? sorted[sorted.length / 2]
                : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2.0;
        double p99Ns = sorted[(int) Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)];
        double boundNs = 2.0 * shards * bytes / copyBytesPerSecond * 1e9;
        return new AllReduceResult(algorithm, resolved, shards, bytes, callNs.length, medianNs / 1e3, p99Ns / 1e3,
                bytes / medianNs, boundNs / medianNs, interNodePercent, List.of());
    }
}
