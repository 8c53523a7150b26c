package numatp.weights.gguf;

import numatp.weights.TensorType;
import numatp.weights.WeightsException;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GgufWriterTest {
    @Test
    void streamedTensorBytesArriveInOrderInWholeBlocksAndMatchTheSameBytesGivenAsASegment() throws Exception {
        long seed = new SplittableRandom().nextLong();
        System.out.println("GgufWriterTest seed=" + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        // Larger than one chunk and not a multiple of it: 2.3 chunks of Q6_K (210-byte blocks), plus a tiny F32 tensor.
        long blocks = (long) (2.3 * GgufWriter.CHUNK_BYTES / TensorType.Q6_K.blockBytes());
        byte[] expected = new byte[(int) (blocks * TensorType.Q6_K.blockBytes())];
        for (int i = 0; i < expected.length; i++) {
            expected[i] = (byte) rnd.nextInt(256);
        }
        byte[] small = {1, 2, 3, 4, 5, 6, 7, 8};
        List<long[]> calls = new ArrayList<>();
        GgufWriter.TensorBytes source = (offset, chunk) -> {
            calls.add(new long[] {offset, chunk.byteSize()});
            MemorySegment.copy(MemorySegment.ofArray(expected), offset, chunk, 0, chunk.byteSize());
        };
        Path streamed = Files.createTempFile("streamed", ".gguf");
        Path whole = Files.createTempFile("whole", ".gguf");
        long[] dims = {256, blocks};
        new GgufWriter().putU32("k", 1).addTensor("big", TensorType.Q6_K, dims, source)
                .addTensor("small", TensorType.F32, new long[] {2}, MemorySegment.ofArray(small)).write(streamed);
        new GgufWriter().putU32("k", 1).addTensor("big", TensorType.Q6_K, dims, MemorySegment.ofArray(expected))
                .addTensor("small", TensorType.F32, new long[] {2}, MemorySegment.ofArray(small)).write(whole);
        assertArrayEquals(Files.readAllBytes(whole), Files.readAllBytes(streamed));
        long next = 0;
        for (long[] c : calls) {
            assertEquals(next, c[0], "chunks must come in order");
            assertEquals(0, c[0] % TensorType.Q6_K.blockBytes(), "chunk must start on a block");
            assertTrue(c[1] <= GgufWriter.CHUNK_BYTES);
            next += c[1];
        }
        assertEquals(expected.length, next);
        assertEquals(3, calls.size());
        try (GgufFile g = GgufFile.open(streamed)) {
            MemorySegment big = g.tensor("big").data();
            assertEquals(expected.length, big.byteSize());
            assertArrayEquals(expected, big.toArray(ValueLayout.JAVA_BYTE));
        }
    }

    @Test
    void aStreamedTensorWhoseDimensionsAreNotWholeBlocksFailsWhenAdded() {
        var e = assertThrows(WeightsException.class, () -> new GgufWriter().addTensor("w", TensorType.Q4_K,
                new long[] {100, 2}, (offset, chunk) -> { }));
        assertTrue(e.getMessage().contains("Q4_K needs a multiple of 256 elements: 200"), e.getMessage());
    }
}
