package numatp.bench;

import numatp.collectives.Algorithm;
import numatp.collectives.CollectiveException;
import numatp.collectives.Communicator;
import numatp.collectives.CommunicatorConfig;
import numatp.collectives.ElementType;
import numatp.collectives.shm.ThreadTransport;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * f32 allreduce over the thread transport, the matrix of {@code tp bench allreduce}. The JMH
 * thread is rank 0; ranks 1..N-1 are helper threads calling allreduce back to back, so a
 * measured call lasts until the slowest rank has contributed. Run:
 * {@code java -jar bench/target/benchmarks.jar AllReduceBenchmark -p shards=4 -p bytes=65536}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class AllReduceBenchmark {
    @Param({"2", "4", "8"})
    public int shards;

    @Param({"4096", "65536", "1048576", "67108864"})
    public long bytes;

    @Param({"auto", "oneshot", "ring", "hierarchical"})
    public String algorithm;

    /** Simulated NUMA nodes; ranks are assigned to them in contiguous blocks. */
    @Param({"1"})
    public int nodes;

    private Arena arena;
    private List<Communicator> group;
    private MemorySegment buffer;
    private final List<Thread> helpers = new ArrayList<>();

    @Setup(Level.Trial)
    public void setUp() {
        int[] nodeOfRank = new int[shards];
        for (int r = 0; r < shards; r++) {
            nodeOfRank[r] = r * nodes / shards;
        }
        group = ThreadTransport.create(nodeOfRank,
                CommunicatorConfig.defaults().withAlgorithm(Algorithm.parse("algorithm", algorithm)));
        arena = Arena.ofShared();
        long count = bytes / 4;
        buffer = filled(count, 0);
        for (int r = 1; r < shards; r++) {
            Communicator c = group.get(r);
            MemorySegment mine = filled(count, r);
            helpers.add(Thread.ofPlatform().daemon().name("allreduce-rank-" + r).start(() -> {
                try {
                    while (true) {
                        c.allReduce(mine, count, ElementType.F32);
                    }
                } catch (CollectiveException stopped) {
                    // tearDown aborts the group
                }
            }));
        }
    }

    private MemorySegment filled(long count, int rank) {
        MemorySegment s = arena.allocate(bytes, 64);
        for (long i = 0; i < count; i++) {
            s.setAtIndex(ValueLayout.JAVA_FLOAT, i, ((i + rank) % 17) / 17f);
        }
        return s;
    }

    @Benchmark
    public MemorySegment allReduce() {
        group.get(0).allReduce(buffer, bytes / 4, ElementType.F32);
        return buffer;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws InterruptedException {
        group.get(0).abort("benchmark finished");
        for (Thread t : helpers) {
            t.join();
        }
        group.forEach(Communicator::close);
        arena.close();
    }
}
