package numatp.weights.gguf;

import numatp.weights.Quantize;
import numatp.weights.Tensor;
import numatp.weights.TensorType;
import numatp.weights.WeightsException;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GgufFileTest {
    @Test
    void writerAndReaderRoundTripMetadataAndTensorsOfEveryType() throws Exception {
        long seed = new SplittableRandom().nextLong();
        System.out.println("GgufFileTest seed=" + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        Path file = Files.createTempFile("rt", ".gguf");
        GgufWriter w = new GgufWriter()
                .putString("general.architecture", "llama")
                .putU32("llama.block_count", 3)
                .putF32("llama.rope.freq_base", 500000f)
                .putBool("flag", true)
                .putStrings("names", new String[] {"a", "\u2581b", ""})
                .putF32s("scores", new float[] {1.5f, -2f})
                .putI32s("types", new int[] {1, -3});
        float[][] values = new float[TensorType.values().length][];
        for (TensorType t : TensorType.values()) {
            float[] v = new float[cols(t) * 3];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) rnd.nextDouble(-1, 1);
            }
            values[t.ordinal()] = v;
            w.addTensor("t." + t, t, new long[] {cols(t), 3}, Quantize.encode(t, v));
        }
        w.write(file);
        try (GgufFile g = GgufFile.open(file)) {
            assertEquals(3, g.version());
            assertEquals("llama", g.get("general.architecture", String.class));
            assertEquals(3, g.getPositiveInt("llama.block_count"));
            assertEquals(500000f, g.getFloat("llama.rope.freq_base", 0f));
            assertEquals(Boolean.TRUE, g.get("flag", Boolean.class));
            assertArrayEquals(new String[] {"a", "\u2581b", ""}, g.get("names", String[].class));
            assertArrayEquals(new float[] {1.5f, -2f}, g.get("scores", float[].class));
            assertArrayEquals(new long[] {1, -3}, g.get("types", long[].class));
            for (TensorType t : TensorType.values()) {
                Tensor x = g.tensor("t." + t);
                assertEquals(t, x.type());
                assertEquals(3, x.rows());
                assertEquals(cols(t), x.cols());
                assertEquals(0, (g.dataStart() + g.tensorInfos().get("t." + t).offset()) % 32);
                Tensor expected = new Tensor("e", t, 3, cols(t), Quantize.encode(t, values[t.ordinal()]));
                for (int r = 0; r < 3; r++) {
                    for (int c = 0; c < cols(t); c++) {
                        assertEquals(expected.get(r, c), x.get(r, c));
                    }
                }
            }
        }
    }

    /** Row width of the round-trip tensor of type t: 64, or one block for the 256-element K-quants. */
    private static int cols(TensorType t) {
        return Math.max(64, t.blockElements());
    }

    @Test
    void unsupportedTensorTypeNamesTheTensor() throws Exception {
        Path file = Files.createTempFile("iq2xxs", ".gguf");
        new GgufWriter().addTensor("w", TensorType.F32, new long[] {32}, MemorySegment.ofArray(new byte[128]))
                .write(file);
        byte[] b = Files.readAllBytes(file);
        // magic, version, counts (24) + name (8 + 1) + n_dims (4) + dim (8): the type id is at 45.
        assertEquals(0, b[45]);
        b[45] = 16; // IQ2_XXS
        Files.write(file, b);
        WeightsException e = assertThrows(WeightsException.class, () -> GgufFile.open(file));
        assertTrue(e.getMessage().contains("tensor w") && e.getMessage().contains("unsupported type 16")
                && e.getMessage().contains("Q4_K")
                && e.getMessage().contains("offset 45") && e.getMessage().contains(file.toString()), e.getMessage());
    }

    @Test
    void tensorDataPastTheEndIsRejected() throws Exception {
        Path file = Files.createTempFile("short", ".gguf");
        new GgufWriter().addTensor("w", TensorType.F32, new long[] {32, 4}, MemorySegment.ofArray(new byte[512]))
                .write(file);
        byte[] b = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(b, b.length - 100));
        WeightsException e = assertThrows(WeightsException.class, () -> GgufFile.open(file));
        assertTrue(e.getMessage().contains("tensor w") && e.getMessage().contains("past the end"), e.getMessage());
    }
}
