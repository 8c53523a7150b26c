package numatp.weights.gguf;

import numatp.weights.Quantize;
import numatp.weights.Tensor;
import numatp.weights.TensorType;
import numatp.weights.WeightsException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A model split as gguf-split writes it opens as one, from any part, with every tensor where the whole file had it. */
class GgufSplitTest {
    private static final TensorType[] TYPES = {TensorType.F32, TensorType.Q8_0, TensorType.Q4_K, TensorType.F16, TensorType.Q6_K};
    private static final int ROWS = 3;
    private static final int COLS = 256;

    /** Tensor t of the test model: seeded values in the type's encoding. */
    private static MemorySegment data(int t, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed + t);
        float[] v = new float[ROWS * COLS];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) rnd.nextDouble(-1, 1);
        }
        return Quantize.encode(TYPES[t], v);
    }

    private static GgufWriter metadata(GgufWriter w) {
        return w.putString("general.architecture", "llama").putU32("llama.block_count", 7);
    }

    /** Tensors 0..4 over {@code parts} files named prefix-NNNNN-of-MMMMM.gguf; part 0 has the metadata. */
    private static void writeSplit(Path dir, String prefix, int parts, long seed, int tensorsCountKey) {
        for (int p = 0; p < parts; p++) {
            GgufWriter w = new GgufWriter().putU32(GgufSplit.NO, p).putU32(GgufSplit.COUNT, parts);
            if (p == 0) {
                metadata(w).putU32(GgufSplit.TENSORS, tensorsCountKey);
            }
            for (int t = p; t < TYPES.length; t += parts) {
                w.addTensor("t" + t, TYPES[t], new long[] {COLS, ROWS}, data(t, seed));
            }
            w.write(dir.resolve(String.format("%s-%05d-of-%05d.gguf", prefix, p + 1, parts)));
        }
    }

    @Test
    void aSplitModelReadsLikeTheWholeFileFromAnyPart(@TempDir Path dir) {
        long seed = new SplittableRandom().nextLong();
        System.out.println("GgufSplitTest seed=" + seed);
        GgufWriter whole = metadata(new GgufWriter());
        for (int t = 0; t < TYPES.length; t++) {
            whole.addTensor("t" + t, TYPES[t], new long[] {COLS, ROWS}, data(t, seed));
        }
        whole.write(dir.resolve("whole.gguf"));
        writeSplit(dir, "m", 3, seed, TYPES.length);
        try (GgufFile w = GgufFile.open(dir.resolve("whole.gguf"))) {
            for (String part : new String[] {"m-00001-of-00003.gguf", "m-00002-of-00003.gguf", "m-00003-of-00003.gguf"}) {
                try (GgufFile s = GgufFile.open(dir.resolve(part))) {
                    assertEquals(3, s.partCount(), part);
                    assertEquals(7, s.getPositiveInt("llama.block_count"), part);
                    assertEquals(w.tensorInfos().keySet(), s.tensorInfos().keySet(), part);
                    for (String name : w.tensorInfos().keySet()) {
                        Tensor a = w.tensor(name);
                        Tensor b = s.tensor(name);
                        assertEquals(a.type(), b.type());
                        assertArrayEquals(a.data().toArray(ValueLayout.JAVA_BYTE), b.data().toArray(ValueLayout.JAVA_BYTE),
                                part + ": " + name);
                    }
                }
            }
        }
    }

    @Test
    void aMissingOrMisnumberedPartIsNamed(@TempDir Path dir) throws Exception {
        writeSplit(dir, "m", 3, 1, TYPES.length);
        Files.delete(dir.resolve("m-00003-of-00003.gguf"));
        WeightsException missing = assertThrows(WeightsException.class, () -> GgufFile.open(dir.resolve("m-00001-of-00003.gguf")));
        assertTrue(missing.getMessage().contains("part 3 of 3 is missing") && missing.getMessage().contains("m-00003-of-00003.gguf"),
                missing.getMessage());

        Files.move(dir.resolve("m-00002-of-00003.gguf"), dir.resolve("x.gguf"));
        WeightsException renamed = assertThrows(WeightsException.class, () -> GgufFile.open(dir.resolve("x.gguf")));
        assertTrue(renamed.getMessage().contains("must be named <prefix>-00002-of-00003.gguf"), renamed.getMessage());

        Path other = dir.resolve("o");
        Files.createDirectories(other);
        writeSplit(other, "m", 2, 1, TYPES.length);
        Files.copy(other.resolve("m-00002-of-00002.gguf"), other.resolve("m-00002-of-00003.gguf"));
        Files.copy(other.resolve("m-00001-of-00002.gguf"), other.resolve("m-00003-of-00003.gguf"));
        writeSplitFirstOnly(other);
        WeightsException wrong = assertThrows(WeightsException.class, () -> GgufFile.open(other.resolve("m-00001-of-00003.gguf")));
        assertTrue(wrong.getMessage().contains("says it is part 2 of 2, expected part 2 of 3"), wrong.getMessage());
    }

    private static void writeSplitFirstOnly(Path dir) {
        metadata(new GgufWriter().putU32(GgufSplit.NO, 0).putU32(GgufSplit.COUNT, 3).putU32(GgufSplit.TENSORS, 1))
                .addTensor("t0", TYPES[0], new long[] {COLS, ROWS}, data(0, 1))
                .write(dir.resolve("m-00001-of-00003.gguf"));
    }

    @Test
    void theTensorCountOfTheFirstPartMustHold(@TempDir Path dir) {
        writeSplit(dir, "m", 2, 1, TYPES.length + 1);
        WeightsException e = assertThrows(WeightsException.class, () -> GgufFile.open(dir.resolve("m-00002-of-00002.gguf")));
        assertTrue(e.getMessage().contains("split.tensors.count is 6 but the 2 parts hold 5 tensors"), e.getMessage());
    }
}
