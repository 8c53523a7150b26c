package numatp.models.kernels;

import numatp.topology.SharedData;
import numatp.weights.Dequant;
import numatp.weights.Tensor;
import numatp.weights.TensorType;
import numatp.weights.quant.Q2KLayout;
import numatp.weights.quant.Q3KLayout;
import numatp.weights.quant.Q41Layout;
import numatp.weights.quant.Q4KLayout;
import numatp.weights.quant.Q50Layout;
import numatp.weights.quant.Q51Layout;
import numatp.weights.quant.Q5KLayout;
import numatp.weights.quant.Q6KLayout;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The block-quantised vector kernels on raw blocks rather than on what the quantiser writes:
 * seeded random bytes (every quant, scale and fifth-bit pattern, including all-zero and
 * all-one blocks), with the f16 scale fields set to finite halves from a list of edge values
 * (zero, minus zero, subnormal, negative, large) or random ones. Three checks, at whatever
 * vector width runs (with {@code -XX:MaxVectorSize=32} in the surefire flags, the AVX2 paths
 * on an AVX-512 machine; see docs/models.md):
 * <ul>
 * <li>each weight the kernels decode is exactly {@link Dequant}'s: with x a unit vector e_c,
 * {@link MatVec} gives w[r, c] alone (the other products are zeros), and {@link MatMul} over
 * the batch of all unit vectors gives bitwise the same;</li>
 * <li>on random x, {@link MatVec} is within the f32-reordering tolerance
 * 1e-5 * sum|w x| + 1e-6 of {@link ScalarMatVec}, and {@link MatMul} bitwise {@link MatVec}
 * per entry;</li>
 * <li>on the first rows of real tensors (../shared/models/realshapes/dequant, llama.cpp's
 * dequantisation), the unit-vector products equal llama.cpp's weights.</li>
 * </ul>
 * Values compare with {@code ==}: a weight of -0.0 comes out of a sum with +0.0 products as +0.0.
 */
@Timeout(120)
class BlockKernelTest {
    private static final Pattern INT_FIELD = Pattern.compile("\"(rows|cols|ggml_type_id)\"\\s*:\\s*(\\d+)");
    private static final ValueLayout.OfShort I16 = Dequant.I16;
    private static final short[] EDGE_HALVES = {
            0x0000, (short) 0x8000, 0x0001, (short) 0x83FF, 0x3C00, (short) 0xBC00, 0x2E66, 0x5BFF, 0x0400,
    };

    @ParameterizedTest
    @EnumSource(value = TensorType.class, names = {"Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K",
            "Q4_0", "Q8_0"})
    void decodesRandomBlocksExactlyAsDequant(TensorType type) {
        long seed = new SplittableRandom().nextLong();
        System.out.println("BlockKernelTest decode " + type + " lanes=" + MatVec.L + " seed=" + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int round = 0; round < 12; round++) {
            int rows = 1 + rnd.nextInt(5);
            int cols = type.blockElements() * (1 + rnd.nextInt(3));
            Tensor t = randomBlocks(type, rows, cols, round, rnd);
            String what = type + " [" + rows + "x" + cols + "] round " + round + " seed=" + seed;
            assertUnitProductsAre(t, (r, c) -> t.get(r, c), what);
        }
    }

    @ParameterizedTest
    @EnumSource(value = TensorType.class, names = {"Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
    void matchesScalarTwinOnRandomBlocks(TensorType type) {
        long seed = new SplittableRandom().nextLong();
        System.out.println("BlockKernelTest twin " + type + " lanes=" + MatVec.L + " seed=" + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int round = 0; round < 60; round++) {
            int rows = 1 + rnd.nextInt(9);
            int cols = type.blockElements() * (1 + rnd.nextInt(6));
            Tensor t = randomBlocks(type, rows, cols, round, rnd);
            int n = rnd.nextInt(10);
            int xOff = rnd.nextInt(3);
            float[] x = new float[xOff + Math.max(1, n) * cols];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) rnd.nextDouble(-2, 2);
            }
            String what = type + " [" + rows + "x" + cols + "] n=" + n + " round " + round + " seed=" + seed;
            float[] vec = new float[rows];
            float[] scalar = new float[rows];
            MatVec.matVec(t, x, xOff, vec, 0);
            ScalarMatVec.matVec(t, x, xOff, scalar, 0);
            for (int r = 0; r < rows; r++) {
                float mag = 0f;
                for (int c = 0; c < cols; c++) {
                    mag += Math.abs(t.get(r, c) * x[xOff + c]);
                }
                float diff = Math.abs(vec[r] - scalar[r]);
                assertTrue(diff <= 1e-5f * mag + 1e-6f, what + " row " + r + ": " + vec[r] + " vs " + scalar[r]);
            }
            float[] batched = new float[n * rows];
            MatMul.matMul(t, n, x, xOff, cols, batched, 0, rows);
            for (int e = 0; e < n; e++) {
                MatVec.matVec(t, x, xOff + e * cols, vec, 0);
                for (int r = 0; r < rows; r++) {
                    assertEquals(Float.floatToRawIntBits(vec[r]), Float.floatToRawIntBits(batched[e * rows + r]),
                            what + " entry " + e + " row " + r + ": " + batched[e * rows + r] + " vs " + vec[r]);
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"f16", "q8_0", "q4_0", "q3_k", "q4_k", "q5_k", "q6_k"})
    void decodesRealRowsAsLlamaCpp(String name) throws IOException {
        Path dir = SharedData.require("models", "realshapes", "dequant");
        String json = Files.readString(dir.resolve("dequant-" + name + ".json"));
        int rows = field(json, "rows");
        int cols = field(json, "cols");
        TensorType type = TensorType.ofGgmlId(field(json, "ggml_type_id"));
        MemorySegment src = MemorySegment.ofArray(Files.readAllBytes(dir.resolve("dequant-" + name + ".src.bin")));
        ByteBuffer expected = ByteBuffer.wrap(Files.readAllBytes(dir.resolve("dequant-" + name + ".f32")))
                .order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(4L * rows * cols, expected.capacity(), name + ".f32 size");
        Tensor t = new Tensor(name, type, rows, cols, src);
        assertUnitProductsAre(t, (r, c) -> expected.getFloat(4 * (r * cols + c)), name + " (" + type + ")");
    }

    private interface Weights {
        float at(int row, int col);
    }

    /** MatVec and MatMul on unit vectors give exactly {@code want}; MatMul bitwise MatVec per entry. */
    private static void assertUnitProductsAre(Tensor t, Weights want, String what) {
        int rows = t.rows();
        int cols = t.cols();
        float[] x = new float[cols * cols];
        for (int c = 0; c < cols; c++) {
            x[c * cols + c] = 1f;
        }
        float[] batched = new float[cols * rows];
        MatMul.matMul(t, cols, x, 0, cols, batched, 0, rows);
        float[] out = new float[rows];
        for (int c = 0; c < cols; c++) {
            MatVec.matVec(t, x, c * cols, out, 0);
            for (int r = 0; r < rows; r++) {
                float w = want.at(r, c);
                assertTrue(out[r] == w, what + ": weight [" + r + ", " + c + "] came out " + out[r] + ", want " + w);
                assertEquals(Float.floatToRawIntBits(out[r]), Float.floatToRawIntBits(batched[c * rows + r]),
                        what + ": batched [" + r + ", " + c + "] " + batched[c * rows + r] + " vs " + out[r]);
            }
        }
    }

    /**
     * rows x cols of random block bytes; rounds 0 and 1 fill the quants with all zero and all
     * one bits. Each f16 field becomes an edge value or a random finite half of magnitude below
     * 2^4, so no product overflows and no NaN arises.
     */
    private static Tensor randomBlocks(TensorType type, int rows, int cols, int round, SplittableRandom rnd) {
        byte[] bytes = new byte[Math.toIntExact(type.bytesFor((long) rows * cols))];
        if (round == 0) {
            Arrays.fill(bytes, (byte) 0);
        } else if (round == 1) {
            Arrays.fill(bytes, (byte) -1);
        } else {
            rnd.nextBytes(bytes);
        }
        MemorySegment seg = MemorySegment.ofArray(bytes);
        int blocks = bytes.length / type.blockBytes();
        for (int b = 0; b < blocks; b++) {
            long block = (long) b * type.blockBytes();
            for (int field : halfFields(type)) {
                seg.set(I16, block + field, half(rnd));
            }
        }
        return new Tensor("w", type, rows, cols, seg);
    }

    private static short half(SplittableRandom rnd) {
        if (rnd.nextInt(3) == 0) {
            return EDGE_HALVES[rnd.nextInt(EDGE_HALVES.length)];
        }
        return Float.floatToFloat16((float) rnd.nextDouble(-16, 16));
    }

    /** Byte offsets of the f16 fields in one block of {@code type}. */
    private static int[] halfFields(TensorType type) {
        return switch (type) {
            case Q4_0, Q8_0 -> new int[] {0};
            case Q4_1 -> new int[] {Q41Layout.D, Q41Layout.M};
            case Q5_0 -> new int[] {Q50Layout.D};
            case Q5_1 -> new int[] {Q51Layout.D, Q51Layout.M};
            case Q2_K -> new int[] {Q2KLayout.D, Q2KLayout.DMIN};
            case Q3_K -> new int[] {Q3KLayout.D};
            case Q4_K -> new int[] {Q4KLayout.D, Q4KLayout.DMIN};
            case Q5_K -> new int[] {Q5KLayout.D, Q5KLayout.DMIN};
            case Q6_K -> new int[] {Q6KLayout.D};
            default -> throw new IllegalArgumentException("not a block type: " + type);
        };
    }

    private static int field(String json, String name) {
        Matcher m = INT_FIELD.matcher(json);
        while (m.find()) {
            if (m.group(1).equals(name)) {
                return Integer.parseInt(m.group(2));
            }
        }
        throw new AssertionError("no integer field " + name + " in " + json);
    }
}
