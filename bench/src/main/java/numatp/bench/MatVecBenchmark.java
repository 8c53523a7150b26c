package numatp.bench;

import numatp.models.kernels.MatVec;
import numatp.weights.Tensor;
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
import java.util.concurrent.TimeUnit;

/**
 * One {@link MatVec#matVec} over a whole matrix on one thread, as a shard's team part calls
 * it per decode step, for each weight type the kernels support. Weights are seeded random
 * values encoded with {@code Quantize}, off-heap and 64-byte aligned.
 *
 * <p>Default shapes: {@code 5632x2048} (the FFN up/gate matrix of the dim-2048 synthetic
 * model, 11.5 M weights: 46 MiB as F32, 12 MiB as Q8_0, far larger than the caches, so
 * it streams from memory) and {@code 64x2048} (512 KiB as F32 or less: stays in L2,
 * the kernel's compute speed alone).
 *
 * <p>Five warm-up seconds, not three: the first calls run the Vector API interpreted (one
 * 5632x2048 call can take a second), and the K-quant kernels were still speeding up after two.
 *
 * <p>Scores (throughput mode): the {@code matVec} row is calls per second, so a call takes
 * 1/score seconds ({@code -bm avgt -tu us} prints that time directly, but then JMH inverts the
 * counter row too); the {@code matVec:weightBytes} row ({@link WeightBytesCounter}) is bytes of
 * weights per second, the GB/s figure of docs/models.md after dividing by 1e9. Run:
 * {@code java -jar bench/target/benchmarks.jar MatVecBenchmark -p type=Q8_0,Q4_K -p shape=5632x2048}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
public class MatVecBenchmark {
    /** A {@link numatp.weights.TensorType} name. */
    @Param({"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
    public String type;

    /** ROWSxCOLS. */
    @Param({"5632x2048", "64x2048"})
    public String shape;

    private Arena arena;
    private Tensor w;
    private long weightBytes;
    private float[] x; // [cols]
    private float[] out; // [rows]

    @Setup(Level.Trial)
    public void setUp() {
        MatrixShape s = MatrixShape.parse("shape", shape);
        arena = Arena.ofShared();
        w = RandomWeights.matrix(RandomWeights.type("type", type), s, 42, arena);
        weightBytes = w.data().byteSize();
        x = RandomWeights.floats(s.cols(), 7);
        out = new float[s.rows()];
    }

    @Benchmark
    public float[] matVec(WeightBytesCounter counter) {
        MatVec.matVec(w, x, 0, out, 0);
        counter.weightBytes += weightBytes;
        return out;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }
}
