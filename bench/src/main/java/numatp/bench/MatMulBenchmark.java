package numatp.bench;

import numatp.models.kernels.MatMul;
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
 * One batched {@link MatMul#matMul} of {@code entries} vectors (a prompt's tokens, or the
 * sequences of a batched decode step) over a whole matrix on one thread, for each weight type.
 * Weights as in {@link MatVecBenchmark}; entries are packed, stride = cols in, rows out.
 *
 * <p>Scores (throughput mode): the {@code matMul} row is calls per second; the
 * {@code matMul:weightBytes} row is bytes of weights per second (each call reads the matrix
 * once; divide by 1e9 for GB/s), the {@code matMul:tokens} row is entries per second, the
 * prompt-processing rate this matrix alone would allow. Compare with {@link MatVecBenchmark}'s
 * GB/s for the gain of decoding each weight once per group of entries. Run:
 * {@code java -jar bench/target/benchmarks.jar MatMulBenchmark -p type=Q8_0 -p entries=4,16}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
public class MatMulBenchmark {
    /** A {@link numatp.weights.TensorType} name. */
    @Param({"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
    public String type;

    /** ROWSxCOLS. */
    @Param({"5632x2048"})
    public String shape;

    /** Vectors multiplied per call. */
    @Param({"4", "16", "64"})
    public int entries;

    private Arena arena;
    private Tensor w;
    private long weightBytes;
    private int rows;
    private int cols;
    private float[] x; // [entries, cols]
    private float[] out; // [entries, rows]

    @Setup(Level.Trial)
    public void setUp() {
        if (entries <= 0) {
            throw new BenchException("entries must be > 0: " + entries);
        }
        MatrixShape s = MatrixShape.parse("shape", shape);
        arena = Arena.ofShared();
        w = RandomWeights.matrix(RandomWeights.type("type", type), s, 42, arena);
        weightBytes = w.data().byteSize();
        rows = s.rows();
        cols = s.cols();
        x = RandomWeights.floats(Math.multiplyExact(entries, cols), 7);
        out = new float[Math.multiplyExact(entries, rows)];
    }

    @Benchmark
    public float[] matMul(WeightBytesCounter bytes, TokenCounter tokens) {
        MatMul.matMul(w, entries, x, 0, cols, out, 0, rows);
        bytes.weightBytes += weightBytes;
        tokens.tokens += entries;
        return out;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }
}
