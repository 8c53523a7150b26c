package numatp.bench;

import numatp.weights.Quantize;
import numatp.weights.Tensor;
import numatp.weights.TensorType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

/**
 * Seeded random matrices and vectors for the kernel benchmarks. Weights are encoded with
 * {@link Quantize} (as the kernel tests build them) and copied off-heap, 64-byte aligned,
 * the way a shard's node-local slice is laid out.
 */
final class RandomWeights {
    private RandomWeights() {
    }

    /** A {@code type} matrix of {@code shape} with weights uniform in [-1, 1), in memory of {@code arena}. */
    static Tensor matrix(TensorType type, MatrixShape shape, long seed, Arena arena) {
        if (shape.cols() % type.blockElements() != 0) {
            throw new BenchException("shape " + shape.rows() + "x" + shape.cols() + ": cols must be a multiple of the "
                    + type + " block size " + type.blockElements());
        }
        float[] values = floats(Math.multiplyExact(shape.rows(), shape.cols()), seed);
        MemorySegment encoded = Quantize.encode(type, values);
        MemorySegment data = arena.allocate(encoded.byteSize(), 64);
        data.copyFrom(encoded);
        return new Tensor("w", type, shape.rows(), shape.cols(), data);
    }

    /** {@code count} values uniform in [-1, 1). */
    static float[] floats(int count, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return values;
    }

    /** The tensor type named {@code value} of the parameter {@code param}. */
    static TensorType type(String param, String value) {
        try {
            return TensorType.valueOf(value);
        } catch (IllegalArgumentException e) {
            throw new BenchException(param + " must be a TensorType name (F32, Q8_0, Q4_K...): " + value);
        }
    }
}
