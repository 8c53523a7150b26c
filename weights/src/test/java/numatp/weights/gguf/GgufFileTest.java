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
    @Test
    void duplicateMetadataKeyIsRejected() throws Exception {
        Path file = Files.createTempFile("dupkey", ".gguf");
        new GgufWriter().putU32("k.a", 1).putU32("k.b", 2).write(file);
        byte[] b = Files.readAllBytes(file);
        int at = indexOf(b, "k.b");
        b[at + 2] = 'a'; // the second key now repeats the first
        Files.write(file, b);
        assertRejected(file, "metadata key k.a", "duplicate metadata key");
    }

    @Test
    void duplicateTensorNameIsRejected() throws Exception {
        Path file = twoTensors("dupname");
        byte[] b = Files.readAllBytes(file);
        b[indexOf(b, "t.b")] = 't';
        b[indexOf(b, "t.b") + 2] = 'a';
        Files.write(file, b);
        assertRejected(file, "tensor t.a", "duplicate tensor name");
    }

    @Test
    void overlappingTensorDataIsRejected() throws Exception {
        Path file = twoTensors("overlap");
        byte[] b = Files.readAllBytes(file);
        putU64(b, offsetField(b, "t.b"), 64); // t.a is [0, 128): t.b now starts inside it
        Files.write(file, b);
        assertRejected(file, "tensor t.b", "overlaps tensor t.a");
    }

    @Test
    void unusedBytesBetweenTensorsAreRejected() throws Exception {
        Path file = twoTensors("gap");
        byte[] b = Files.readAllBytes(file);
        putU64(b, offsetField(b, "t.b"), 256); // 128 unused bytes between t.a and t.b
        Files.write(file, java.util.Arrays.copyOf(b, b.length + 128));
        assertRejected(file, "tensor t.b", "128 unused bytes");
    }

    @Test
    void unusedBytesAfterTheLastTensorAreRejected() throws Exception {
        Path file = twoTensors("tail");
        byte[] b = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(b, b.length + 31)); // alignment padding: fine
        try (GgufFile g = GgufFile.open(file)) {
            assertEquals(2, g.tensorInfos().size());
        }
        Files.write(file, java.util.Arrays.copyOf(b, b.length + 32));
        assertRejected(file, "data section", "32 unused bytes");
        Path noTensors = Files.createTempFile("vocabonly", ".gguf");
        new GgufWriter().putU32("k", 1).write(noTensors);
        Files.write(noTensors, java.util.Arrays.copyOf(Files.readAllBytes(noTensors), (int) Files.size(noTensors) + 40));
        assertRejected(noTensors, "after the header", "unused bytes"); // the writer pads the header to 32 already
    }

    @Test
    void hostileLengthsAreRefusedBeforeAnythingIsAllocated() throws Exception {
        Path file = Files.createTempFile("lengths", ".gguf");
        new GgufWriter().putStrings("names", new String[] {"abc"}).addTensor("t.a", TensorType.F32, new long[] {32},
                MemorySegment.ofArray(new byte[128])).write(file);
        byte[] valid = Files.readAllBytes(file);
        int keyLength = 24; // after magic, version and the two counts
        int arrayLength = indexOf(valid, "names") + 5 + 4 + 4; // after the key, value type and element type
        int dim = indexOf(valid, "t.a") + 3 + 4;
        for (long v : new long[] {-1L, Long.MIN_VALUE, Long.MAX_VALUE, 1L << 40}) {
            byte[] b = valid.clone();
            putU64(b, keyLength, v);
            Files.write(file, b);
            assertRejected(file, "metadata entry 0", "string length");
            b = valid.clone();
            putU64(b, arrayLength, v);
            Files.write(file, b);
            assertRejected(file, "metadata key names", "array length");
            b = valid.clone();
            putU64(b, dim, v);
            Files.write(file, b);
            assertRejected(file, "tensor t.a", "dimension 0");
            b = valid.clone();
            putU64(b, 8, v); // tensor count
            Files.write(file, b);
            assertRejected(file, "header", "tensor count");
        }
    }

    /** t.a and t.b, each [32, 1] f32 (128 bytes), at data offsets 0 and 128. */
    private static Path twoTensors(String prefix) throws Exception {
        Path file = Files.createTempFile(prefix, ".gguf");
        new GgufWriter().addTensor("t.a", TensorType.F32, new long[] {32}, MemorySegment.ofArray(new byte[128]))
                .addTensor("t.b", TensorType.F32, new long[] {32}, MemorySegment.ofArray(new byte[128]))
                .write(file);
        return file;
    }

    /** The data-offset field of a 1-D tensor's info: after its name, n_dims, one dim and the type. */
    private static int offsetField(byte[] b, String name) {
        return indexOf(b, name) + name.length() + 4 + 8 + 4;
    }

    private static int indexOf(byte[] b, String ascii) {
        byte[] p = ascii.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        for (int i = 0; i + p.length <= b.length; i++) {
            if (java.util.Arrays.equals(b, i, i + p.length, p, 0, p.length)) {
                return i;
            }
        }
        throw new AssertionError(ascii + " not in file");
    }

    private static void putU64(byte[] b, int at, long v) {
        java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(at, v);
    }

    private static void assertRejected(Path file, String where, String what) {
        WeightsException e = assertThrows(WeightsException.class, () -> GgufFile.open(file).close());
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains(where)
                && e.getMessage().contains(what), e.getMessage());
    }
}
