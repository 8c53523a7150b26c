package numatp.bench;

import numatp.runtime.config.NumaTensorParallelConfig;
import numatp.runtime.plan.ModelMemory;
import numatp.runtime.plan.PlacementPlan;
import numatp.runtime.plan.PlacementPlanner;
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
 * {@link PlacementPlanner#plan} from scratch (candidate nodes, count search, rank order,
 * CPU assignment, reasons) for a model of {@value #MODEL_GIB} GiB split evenly, on a
 * generated two-socket machine ({@link SyntheticTopology}: {@code nodes} nodes of
 * {@code coresPerNode} SMT-2 cores, 64 GiB free each). Plans run once per server start, so
 * this guards against the search growing out of hand, not a hot path. Score: plans per
 * second. Run: {@code java -jar bench/target/benchmarks.jar PlannerBenchmark -p nodes=8}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class PlannerBenchmark {
    static final int MODEL_GIB = 16;

    @Param({"2", "4", "8"})
    public int nodes;

    @Param({"8", "16", "64"})
    public int shards;

    @Param({"16"})
    public int coresPerNode;

    private Topology topology;
    private NumaTensorParallelConfig config;
    private ModelMemory memory;

    @Setup(Level.Trial)
    public void setUp() {
        topology = SyntheticTopology.twoSockets(nodes, coresPerNode, 64L << 30);
        config = NumaTensorParallelConfig.ofShards(shards);
        memory = ModelMemory.splitEvenly((long) MODEL_GIB << 30, shards);
        PlacementPlanner.plan(topology, config, memory); // fail in setup, not in the first measured call
    }

    @Benchmark
    public PlacementPlan plan() {
        return PlacementPlanner.plan(topology, config, memory);
    }
}
