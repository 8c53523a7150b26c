package numatp.weights.llama2c;

import numatp.topology.SharedData;
import numatp.weights.ModelTensors;
import numatp.weights.WeightsException;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Llama2cCheckpointTest {
    static Path stories() {
        return SharedData.require("models", "stories260K.bin");
    }

    @Test
    void readsStories260KHeaderAndTensors() throws Exception {
        try (ModelTensors m = Llama2cCheckpoint.load(stories())) {
            var hp = m.hp();
            assertEquals(64, hp.dim());
            assertEquals(172, hp.hiddenDim());
            assertEquals(5, hp.layers());
            assertEquals(8, hp.heads());
            assertEquals(4, hp.kvHeads());
            assertEquals(512, hp.vocabSize());
            assertEquals(512, hp.contextLength());
            assertEquals(32, m.tensor("blk.4.attn_k.weight").rows());
            assertEquals(172, m.tensor("blk.0.ffn_down.weight").cols());
            // Shared classifier: the output head is the embedding's memory.
            assertEquals(m.tensor("token_embd.weight").data().address(), m.tensor("output.weight").data().address());
            // First embedding value, straight from the file bytes.
            ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(stories())).order(ByteOrder.LITTLE_ENDIAN);
            assertEquals(b.getFloat(28), m.tensor("token_embd.weight").get(0, 0));
        }
    }

    @Test
    void truncatedFileNamesFileTensorAndOffset() throws Exception {
        Path tmp = Files.createTempFile("trunc", ".bin");
        Files.write(tmp, Arrays.copyOf(Files.readAllBytes(stories()), 200_000));
        WeightsException e = assertThrows(WeightsException.class, () -> Llama2cCheckpoint.load(tmp));
        assertTrue(e.getMessage().contains(tmp.toString()) && e.getMessage().contains("offset")
                && e.getMessage().contains("tensor"), e.getMessage());
    }

    @Test
    void badHeaderNamesTheField() throws Exception {
        Path tmp = Files.createTempFile("bad", ".bin");
        byte[] bytes = Files.readAllBytes(stories());
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(12, -3);
        Files.write(tmp, bytes);
        WeightsException e = assertThrows(WeightsException.class, () -> Llama2cCheckpoint.load(tmp));
        assertTrue(e.getMessage().contains("n_heads") && e.getMessage().contains("offset 12"), e.getMessage());
        Files.write(tmp, new byte[5]);
        assertTrue(assertThrows(WeightsException.class, () -> Llama2cCheckpoint.load(tmp)).getMessage()
                .contains("truncated"));
    }

    /** Seeded mutations of the header and truncations: either loads or fails with a WeightsException. */
    @Test
    void fuzzedCheckpointsFailCleanly() throws Exception {
        long seed = new SplittableRandom().nextLong();
        System.out.println("Llama2cCheckpointTest seed=" + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        byte[] original = Files.readAllBytes(stories());
        Path tmp = Files.createTempFile("fuzz", ".bin");
        for (int i = 0; i < 60; i++) {
            byte[] bytes = Arrays.copyOf(original, rnd.nextBoolean() ? original.length : rnd.nextInt(original.length));
            ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            int mutations = 1 + rnd.nextInt(3);
            for (int k = 0; k < mutations && bytes.length >= 28; k++) {
                int field = rnd.nextInt(7);
                int value = switch (rnd.nextInt(4)) {
                    case 0 -> rnd.nextInt();
                    case 1 -> Integer.MAX_VALUE;
                    case 2 -> b.getInt(4 * field) + rnd.nextInt(-3, 4);
                    default -> 0;
                };
                b.putInt(4 * field, value);
            }
            Files.write(tmp, bytes);
            try (ModelTensors m = Llama2cCheckpoint.load(tmp)) {
                assertSame(m.tensor("output_norm.weight").type(), numatp.weights.TensorType.F32);
            } catch (WeightsException expected) {
                assertTrue(expected.getMessage().contains(tmp.toString()), expected.getMessage() + " seed " + seed);
            }
        }
    }
    /**
     * A run.c checkpoint of random f32 weights for {@code header} (dim, hidden_dim, n_layers,
     * n_heads, n_kv_heads, vocab_size, seq_len; negative vocab_size: own classifier).
     */
    static byte[] checkpoint(int[] header, SplittableRandom rnd) {
        long dim = header[0], hidden = header[1], layers = header[2], vocab = Math.abs(header[5]);
        long headSize = dim / header[3], kvDim = header[4] * headSize;
        long floats = vocab * dim + layers * (2 * dim + 2 * dim * dim + 2 * kvDim * dim + 3 * hidden * dim) + dim
                + (long) header[6] * headSize + (header[5] < 0 ? vocab * dim : 0);
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(Llama2cCheckpoint.HEADER_BYTES + 4 * floats))
                .order(ByteOrder.LITTLE_ENDIAN);
        for (int h : header) {
            b.putInt(h);
        }
        while (b.hasRemaining()) {
            b.putFloat((float) rnd.nextDouble(-1, 1));
        }
        return b.array();
    }

    static final int[] SMALL = {8, 16, 2, 2, 1, 12, 8};

    @Test
    void smallCheckpointsOfBothClassifierVariantsLoad() throws Exception {
        Path tmp = Files.createTempFile("small", ".bin");
        for (int vocab : new int[] {12, -12}) {
            int[] h = SMALL.clone();
            h[5] = vocab;
            Files.write(tmp, checkpoint(h, new SplittableRandom(1)));
            try (ModelTensors m = Llama2cCheckpoint.load(tmp)) {
                assertEquals(12, m.tensor("output.weight").rows());
                assertEquals(vocab > 0, m.tensor("output.weight").data().equals(m.tensor("token_embd.weight").data()));
            }
        }
    }

    @Test
    void sizesOverflowingIntAreAWeightsException() throws Exception {
        Path tmp = Files.createTempFile("overflow", ".bin");
        // n_layers * hidden_dim = 2^31: wrapped to a negative int row count before the fix.
        byte[] b = Arrays.copyOf(checkpoint(new int[] {2, 2, 1, 1, 1, 4, 4}, new SplittableRandom(2)), 1 << 20);
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(4, 1 << 20).putInt(8, 1 << 11);
        Files.write(tmp, b);
        WeightsException e = assertThrows(WeightsException.class, () -> Llama2cCheckpoint.load(tmp));
        assertTrue(e.getMessage().contains(tmp.toString()) && e.getMessage().contains("tensor w1"), e.getMessage());
    }

    @Test
    void headerThatDoesNotDescribeTheWholeFileIsRejected() throws Exception {
        Path tmp = Files.createTempFile("edited", ".bin");
        byte[] b = checkpoint(SMALL, new SplittableRandom(3));
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(8, 1); // n_layers 2 -> 1: loaded garbage before
        Files.write(tmp, b);
        WeightsException e = assertThrows(WeightsException.class, () -> Llama2cCheckpoint.load(tmp));
        assertTrue(e.getMessage().contains(tmp.toString()) && e.getMessage().contains("unused bytes at offset")
                && e.getMessage().contains("do not describe this file"), e.getMessage());
        Files.write(tmp, Arrays.copyOf(checkpoint(SMALL, new SplittableRandom(3)), b.length + 4));
        assertThrows(WeightsException.class, () -> Llama2cCheckpoint.load(tmp));
    }

    @Test
    void sharedFlagOnAFileWithItsOwnClassifierSaysSo() throws Exception {
        Path tmp = Files.createTempFile("unshared", ".bin");
        int[] h = SMALL.clone();
        h[5] = -12;
        byte[] b = checkpoint(h, new SplittableRandom(4));
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(20, 12);
        Files.write(tmp, b);
        WeightsException e = assertThrows(WeightsException.class, () -> Llama2cCheckpoint.load(tmp));
        assertTrue(e.getMessage().contains("negative vocab_size at offset 20"), e.getMessage());
    }
}
