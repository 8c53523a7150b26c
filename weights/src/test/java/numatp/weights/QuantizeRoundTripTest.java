package numatp.weights;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seeded round trips through {@link Quantize} and {@link Dequant} for every block type: each
 * decoded value lies within one quantisation step of its input, the step computed from the
 * block's values as the type's format defines it (plus what rounding the scales to f16 and to
 * their 4-, 6- or 8-bit codes can add). A misplaced field or bit decodes to values off by a
 * large fraction of the block's range, far past the bound. Blocks: symmetric, all-positive,
 * all-negative, constant, all-zero, one spike.
 */
class QuantizeRoundTripTest {
    @ParameterizedTest
    @EnumSource(value = TensorType.class, names = {"F32", "F16", "BF16"}, mode = EnumSource.Mode.EXCLUDE)
    void decodedValuesLieWithinOneStepOfTheInput(TensorType type) {
        long seed = new SplittableRandom().nextLong();
        SplittableRandom rnd = new SplittableRandom(seed);
        int n = type.blockElements();
        for (int round = 0; round < 300; round++) {
            int blocks = 1 + rnd.nextInt(3);
            float[] v = new float[blocks * n];
            int shape = round % 6;
            double scale = Math.pow(10, rnd.nextDouble(-2, 1));
            for (int i = 0; i < v.length; i++) {
                double u = rnd.nextDouble(-1, 1);
                v[i] = (float) (scale * switch (shape) {
                    case 0 -> u;
                    case 1 -> 1 + u;
                    case 2 -> -1 + u * 0.5;
                    case 3 -> 0.7;
                    case 4 -> 0;
                    default -> i % n == 17 ? 3 : u * 0.01;
                });
            }
            MemorySegment seg = Quantize.encode(type, v);
            Tensor t = new Tensor("t", type, 1, v.length, seg);
            float[] got = new float[v.length];
            Dequant.row(type, seg, 0, v.length, got, 0);
            for (int b = 0; b < blocks; b++) {
                double bound = stepBound(type, v, b * n);
                for (int j = 0; j < n; j++) {
                    int i = b * n + j;
                    assertTrue(Math.abs(got[i] - v[i]) <= bound, type + " block " + b + " element " + j + ": "
                            + v[i] + " decoded as " + got[i] + " (bound " + bound + ", shape " + shape + ") seed="
                            + seed);
                    assertTrue(Float.floatToRawIntBits(got[i]) == Float.floatToRawIntBits(t.get(0, i)),
                            type + " element " + i + ": row and element decoding differ, seed=" + seed);
                }
            }
        }
    }

    /** One quantisation step of the block at v[at, ...) for {@code type}, plus scale-rounding slack. */
    static double stepBound(TensorType type, float[] v, int at) {
        int n = type.blockElements();
        double amax = 0;
        double min = Double.MAX_VALUE;
        double max = -Double.MAX_VALUE;
        for (int j = 0; j < n; j++) {
            amax = Math.max(amax, Math.abs(v[at + j]));
            min = Math.min(min, v[at + j]);
            max = Math.max(max, v[at + j]);
        }
        double slack = 2e-3 * amax + 1e-6;
        return slack + switch (type) {
            case Q8_0 -> amax / 127;
            case Q4_0 -> amax / 8;
            case Q5_0 -> amax / 16;
            case Q4_1 -> (max - min) / 15;
            case Q5_1 -> (max - min) / 31;
            case Q2_K -> subBound(v, at, n, 16, 3, 15, false);
            case Q3_K -> subBound(v, at, n, 16, 3, 31, true);
            case Q4_K -> subBound(v, at, n, 32, 15, 63, false);
            case Q5_K -> subBound(v, at, n, 32, 31, 63, false);
            case Q6_K -> subBound(v, at, n, 16, 31, 127, true);
            default -> throw new AssertionError(type);
        };
    }

    /**
     * Largest sub-block step (range / levels; range [min(0, lo), max(0, hi)], or amax for
     * symmetric types) plus, for types with mins, one step of the 6- or 4-bit min code.
     */
    private static double subBound(float[] v, int at, int n, int sub, int levels, int codeLevels, boolean symmetric) {
        double step = 0;
        double maxMin = 0;
        for (int s = 0; s < n; s += sub) {
            double lo = 0;
            double hi = 0;
            for (int l = 0; l < sub; l++) {
                lo = Math.min(lo, v[at + s + l]);
                hi = Math.max(hi, v[at + s + l]);
            }
            step = Math.max(step, symmetric ? Math.max(-lo, hi) / levels : (hi - lo) / levels);
            maxMin = Math.max(maxMin, -lo);
        }
        return step + (symmetric ? 0 : maxMin / codeLevels);
    }
}
