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
}
