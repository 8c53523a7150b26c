package numatp.models.kernels;

import numatp.weights.Dequant;
import numatp.weights.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Plain-loop twin of {@link MatVec}: out[outOff + r] = sum_c w[r, c] * x[xOff + c] for
 * every row r, accumulating left to right in f32 (the order of llama2.c's matmul).
 */
public final class ScalarMatVec {
    private ScalarMatVec() {
    }

    public static void matVec(Tensor w, float[] x, int xOff, float[] out, int outOff) {
        matVec(w, 0, w.rows(), x, xOff, out, outOff);
    }

    /** Rows [rowFrom, rowTo) only. */
    public static void matVec(Tensor w, int rowFrom, int rowTo, float[] x, int xOff, float[] out, int outOff) {
        final MemorySegment seg = w.data();
        final int cols = w.cols();
        final long rowBytes = w.rowBytes();
        for (int r = rowFrom; r < rowTo; r++) {
            long base = r * rowBytes;
            float sum = 0f;
            switch (w.type()) {
                case F32 -> {
                    for (int c = 0; c < cols; c++) {
                        sum += seg.get(Dequant.F32, base + 4L * c) * x[xOff + c];
                    }
                }
                case F16 -> {
                    for (int c = 0; c < cols; c++) {
                        sum += Float.float16ToFloat(seg.get(Dequant.I16, base + 2L * c)) * x[xOff + c];
                    }
                }
                case BF16 -> {
                    for (int c = 0; c < cols; c++) {
                        sum += Float.intBitsToFloat((seg.get(Dequant.I16, base + 2L * c) & 0xFFFF) << 16) * x[xOff + c];
                    }
                }
                case Q8_0 -> {
                    for (int b = 0; b < cols / 32; b++) {
                        long block = base + 34L * b;
                        float d = Float.float16ToFloat(seg.get(Dequant.I16, block));
                        float s = 0f;
                        for (int j = 0; j < 32; j++) {
                            s += seg.get(ValueLayout.JAVA_BYTE, block + 2 + j) * x[xOff + 32 * b + j];
                        }
                        sum += s * d;
                    }
                }
                case Q4_0 -> {
                    for (int b = 0; b < cols / 32; b++) {
                        long block = base + 18L * b;
                        float d = Float.float16ToFloat(seg.get(Dequant.I16, block));
                        float s = 0f;
                        for (int j = 0; j < 16; j++) {
                            int packed = seg.get(ValueLayout.JAVA_BYTE, block + 2 + j) & 0xFF;
                            s += ((packed & 0x0F) - 8) * x[xOff + 32 * b + j];
                            s += ((packed >>> 4) - 8) * x[xOff + 32 * b + 16 + j];
                        }
                        sum += s * d;
                    }
                }
                case Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K -> {
                    for (int c = 0; c < cols; c++) {
                        sum += Dequant.element(w.type(), seg, base, c) * x[xOff + c];
                    }
                }
            }
            out[outOff + r] = sum;
        }
    }
}
