package numatp.weights;

import numatp.weights.quant.MinMaxEncoder;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Encodes f32 values as each {@link TensorType}, for writers and tests: ggml's reference
 * rounding for Q8_0 and Q4_0, plain min/max rounding ({@link MinMaxEncoder}) for the others.
 */
public final class Quantize {
    private Quantize() {
    }

    /** Encodes {@code values} (length a multiple of the block size) into a new heap segment. */
    public static MemorySegment encode(TensorType type, float[] values) {
        MemorySegment out = MemorySegment.ofArray(new byte[Math.toIntExact(type.bytesFor(values.length))]);
        encode(type, values, out);
        return out;
    }

    /** Encodes {@code values} into {@code out} (exactly {@code type.bytesFor(values.length)} bytes). */
    public static void encode(TensorType type, float[] values, MemorySegment out) {
        switch (type) {
            case F32 -> {
                for (int i = 0; i < values.length; i++) {
                    out.set(Dequant.F32, 4L * i, values[i]);
                }
            }
            case F16 -> {
                for (int i = 0; i < values.length; i++) {
                    out.set(Dequant.I16, 2L * i, Float.floatToFloat16(values[i]));
                }
            }
            case BF16 -> {
                for (int i = 0; i < values.length; i++) {
                    int bits = Float.floatToRawIntBits(values[i]);
                    int rounded = bits + 0x7FFF + ((bits >>> 16) & 1);
                    out.set(Dequant.I16, 2L * i, (short) (rounded >>> 16));
                }
            }
            case Q8_0 -> {
                for (int b = 0; b < values.length / 32; b++) {
                    float amax = 0f;
                    for (int j = 0; j < 32; j++) {
                        amax = Math.max(amax, Math.abs(values[32 * b + j]));
                    }
                    float d = amax / 127f;
                    float id = d != 0 ? 1f / d : 0f;
                    long block = 34L * b;
                    out.set(Dequant.I16, block, Float.floatToFloat16(d));
                    for (int j = 0; j < 32; j++) {
                        out.set(ValueLayout.JAVA_BYTE, block + 2 + j, (byte) Math.round(values[32 * b + j] * id));
                    }
                }
            }
            case Q4_0 -> {
                for (int b = 0; b < values.length / 32; b++) {
                    float amax = 0f;
                    float max = 0f;
                    for (int j = 0; j < 32; j++) {
                        float v = values[32 * b + j];
                        if (Math.abs(v) > amax) {
                            amax = Math.abs(v);
                            max = v;
                        }
                    }
                    float d = max / -8f;
                    float id = d != 0 ? 1f / d : 0f;
                    long block = 18L * b;
                    out.set(Dequant.I16, block, Float.floatToFloat16(d));
                    for (int j = 0; j < 16; j++) {
                        int q0 = Math.min(15, (int) (values[32 * b + j] * id + 8.5f));
                        int q1 = Math.min(15, (int) (values[32 * b + 16 + j] * id + 8.5f));
                        out.set(ValueLayout.JAVA_BYTE, block + 2 + j, (byte) (q0 | (q1 << 4)));
                    }
                }
            }
            case Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K -> {
                int n = type.blockElements();
                for (int b = 0; b < values.length / n; b++) {
                    long block = (long) b * type.blockBytes();
                    switch (type) {
                        case Q4_1 -> MinMaxEncoder.q41(values, n * b, out, block);
                        case Q5_0 -> MinMaxEncoder.q50(values, n * b, out, block);
                        case Q5_1 -> MinMaxEncoder.q51(values, n * b, out, block);
                        case Q2_K -> MinMaxEncoder.q2k(values, n * b, out, block);
                        case Q3_K -> MinMaxEncoder.q3k(values, n * b, out, block);
                        case Q4_K -> MinMaxEncoder.q4k(values, n * b, out, block);
                        case Q5_K -> MinMaxEncoder.q5k(values, n * b, out, block);
                        default -> MinMaxEncoder.q6k(values, n * b, out, block);
                    }
                }
            }
        }
    }
}
