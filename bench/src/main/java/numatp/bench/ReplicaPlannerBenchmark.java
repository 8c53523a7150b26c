package numatp.bench;

import numatp.runtime.config.NumaTensorParallelConfig;
import numatp.runtime.plan.ModelMemory;
import numatp.runtime.plan.ReplicaPlan;
import numatp.runtime.plan.ReplicaPlanner;
import numatp.topology.Topology;
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
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * {@link ReplicaPlanner#plan} with {@code --replicas auto} from scratch (every layout R x K
 * of its space placed by the shard planner and priced) for a model of {@value #MODEL_GIB} GiB
 * at concurrency {@code concurrency}, on a generated two-socket machine
 * ({@link SyntheticTopology}: {@code nodes} nodes of 16 SMT-2 cores, 64 GiB free each).
 * Up to 6 nodes every partition of the nodes into replica groups is priced; from 7 on, one
 * grouping per replica count. Runs once per server start. Score: ms per plan. Run:
 * {@code java -jar bench/target/benchmarks.jar ReplicaPlannerBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class ReplicaPlannerBenchmark {
    static final int MODEL_GIB = 4;

    @Param({"2", "4", "6", "8", "16"})
    public int nodes;

    @Param({"16"})
    public int concurrency;

    private Topology topology;
    private NumaTensorParallelConfig config;
    private ModelMemory memory;

    @Setup(Level.Trial)
    public void setUp() {
        topology = SyntheticTopology.twoSockets(nodes, 16, 64L << 30);
        config = NumaTensorParallelConfig.builder().replicas(NumaTensorParallelConfig.AUTO_REPLICAS)
                .expectedConcurrency(concurrency).build();
        memory = ModelMemory.splitEvenly((long) MODEL_GIB << 30, 1);
        ReplicaPlanner.plan(topology, config, memory); // fail in setup, not in the first measured call
    }

    @Benchmark
    public ReplicaPlan plan() {
        return ReplicaPlanner.plan(topology, config, memory);
    }
}
