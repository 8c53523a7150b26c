package numatp.bench;

import numatp.collectives.team.RangeBody;
import numatp.collectives.team.ShardGroup;
import numatp.collectives.team.ShardTask;
import numatp.collectives.team.WorkerOptions;
import numatp.topology.IdSet;
import numatp.topology.binding.NumaBinder;
import numatp.topology.binding.ShardBinding;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The team hand-off a decode step pays per matrix: a {@link ShardGroup} step in which each
 * shard's leader runs {@value #FORKS} {@code parallelFor} calls over its team, each part doing
 * {@code workPerPart} trivial operations. The score is per fork (join included), so with
 * {@code workPerPart=0} it is the pure fork/join cost. Run:
 * {@code java -jar bench/target/benchmarks.jar TeamForkJoinBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class TeamForkJoinBenchmark {
    static final int FORKS = 64;

    /** Threads per shard, the leader included. */
    @Param({"2"})
    public int threads;

    @Param({"1"})
    public int shards;

    /** Loop iterations each part runs per fork (0: the hand-off alone). */
    @Param({"0", "1000"})
    public int workPerPart;

    private ShardGroup group;
    private ShardTask step;
    /** One slot per part, 16 longs (128 bytes) apart so parts do not share a line. */
    private long[] sums;

    @Setup
    public void start() {
        List<ShardBinding> bindings = new ArrayList<>();
        for (int s = 0; s < shards; s++) {
            bindings.add(new ShardBinding(s, 0, IdSet.empty(), threads));
        }
        group = ShardGroup.start(bindings, WorkerOptions.unbound(), NumaBinder.system());
        sums = new long[16 * threads * shards];
        final int work = workPerPart;
        final long[] out = sums;
        final int parts = threads;
        RangeBody[] bodies = new RangeBody[shards];
        for (int s = 0; s < shards; s++) {
            final int base = s * parts;
            bodies[s] = (from, to) -> {
                long acc = from;
                for (int i = 0; i < work; i++) {
                    acc = acc * 31 + i;
                }
                out[16 * (base + from)] += acc;
            };
        }
        step = (shard, team) -> {
            RangeBody body = bodies[shard];
            for (int f = 0; f < FORKS; f++) {
                team.parallelFor(parts, body);
            }
        };
    }

    @Benchmark
    @OperationsPerInvocation(FORKS)
    public void forkJoin() {
        group.run(step);
    }

    @TearDown
    public void stop() {
        group.close();
    }
}
