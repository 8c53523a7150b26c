package numatp.weights;

import numatp.topology.SharedData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link Dequant} against gguf-py's (and ggml's, bitwise the same) dequantisation of the
 * first rows of real tensors in ../shared/models/realshapes/dequant: every element
 * bitwise equal, through {@link Dequant#row} and {@link Dequant#element}.
 */
class DequantReferenceTest {
    private static final Pattern INT_FIELD = Pattern.compile("\"(rows|cols|ggml_type_id)\"\\s*:\\s*(\\d+)");

    static Path dequantDir() {
        return SharedData.require("models", "realshapes", "dequant");
    }

    @ParameterizedTest
    @ValueSource(strings = {"f16", "q8_0", "q4_0", "q3_k", "q4_k", "q5_k", "q6_k"})
    void dequantisesRealRowsBitwiseAsGgml(String name) throws IOException {
        Path dir = dequantDir();
        String json = Files.readString(dir.resolve("dequant-" + name + ".json"));
        int rows = field(json, "rows");
        int cols = field(json, "cols");
        TensorType type = TensorType.ofGgmlId(field(json, "ggml_type_id"));
        assertEquals(name.toUpperCase(), String.valueOf(type));
        MemorySegment src = MemorySegment.ofArray(Files.readAllBytes(dir.resolve("dequant-" + name + ".src.bin")));
        Tensor t = new Tensor(name, type, rows, cols, src);
        ByteBuffer expected = ByteBuffer.wrap(Files.readAllBytes(dir.resolve("dequant-" + name + ".f32")))
                .order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(4L * rows * cols, expected.capacity(), name + ".f32 size");
        float[] row = new float[cols + 1];
        for (int r = 0; r < rows; r++) {
            Dequant.row(type, src, r * t.rowBytes(), cols, row, 1);
            for (int c = 0; c < cols; c++) {
                int want = Float.floatToRawIntBits(expected.getFloat(4 * (r * cols + c)));
                assertEquals(want, Float.floatToRawIntBits(row[1 + c]),
                        name + " row " + r + " col " + c + ": " + row[1 + c] + " vs " + Float.intBitsToFloat(want));
                assertEquals(want, Float.floatToRawIntBits(t.get(r, c)), name + " element " + r + ", " + c);
            }
        }
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
