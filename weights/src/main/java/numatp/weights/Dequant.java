package numatp.weights;

import numatp.weights.quant.Q2KLayout;
import numatp.weights.quant.Q3KLayout;
import numatp.weights.quant.Q41Layout;
import numatp.weights.quant.Q4KLayout;
import numatp.weights.quant.Q50Layout;
import numatp.weights.quant.Q51Layout;
import numatp.weights.quant.Q5KLayout;
import numatp.weights.quant.Q6KLayout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Scalar decoding of the tensor types (reference semantics; kernels have their own fast paths). */
public final class Dequant {
    public static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Dequant() {
    }

    /** Element {@code col} of the row starting at byte {@code rowOffset}. */
    public static float element(TensorType type, MemorySegment data, long rowOffset, int col) {
        return switch (type) {
            case F32 -> data.get(F32, rowOffset + 4L * col);
            case F16 -> Float.float16ToFloat(data.get(I16, rowOffset + 2L * col));
            case BF16 -> Float.intBitsToFloat((data.get(I16, rowOffset + 2L * col) & 0xFFFF) << 16);
            case Q8_0 -> {
                long block = rowOffset + (long) (col / 32) * 34;
                float d = Float.float16ToFloat(data.get(I16, block));
                yield d * data.get(ValueLayout.JAVA_BYTE, block + 2 + col % 32);
            }
            case Q4_0 -> {
                long block = rowOffset + (long) (col / 32) * 18;
                float d = Float.float16ToFloat(data.get(I16, block));
                int j = col % 32;
                int packed = data.get(ValueLayout.JAVA_BYTE, block + 2 + (j & 15)) & 0xFF;
                int q = j < 16 ? packed & 0x0F : packed >>> 4;
                yield (q - 8) * d;
            }
            case Q4_1 -> Q41Layout.element(data, block(type, rowOffset, col), col % Q41Layout.BLOCK_ELEMENTS);
            case Q5_0 -> Q50Layout.element(data, block(type, rowOffset, col), col % Q50Layout.BLOCK_ELEMENTS);
            case Q5_1 -> Q51Layout.element(data, block(type, rowOffset, col), col % Q51Layout.BLOCK_ELEMENTS);
            case Q2_K -> Q2KLayout.element(data, block(type, rowOffset, col), col % Q2KLayout.BLOCK_ELEMENTS);
            case Q3_K -> Q3KLayout.element(data, block(type, rowOffset, col), col % Q3KLayout.BLOCK_ELEMENTS);
            case Q4_K -> Q4KLayout.element(data, block(type, rowOffset, col), col % Q4KLayout.BLOCK_ELEMENTS);
            case Q5_K -> Q5KLayout.element(data, block(type, rowOffset, col), col % Q5KLayout.BLOCK_ELEMENTS);
            case Q6_K -> Q6KLayout.element(data, block(type, rowOffset, col), col % Q6KLayout.BLOCK_ELEMENTS);
        };
    }

    /** Byte offset of the block holding element {@code col} of the row starting at {@code rowOffset}. */
    private static long block(TensorType type, long rowOffset, int col) {
        return rowOffset + (long) (col / type.blockElements()) * type.blockBytes();
    }

    /** Elements [0, cols) of the row starting at byte {@code rowOffset} into out[outOff, outOff + cols). */
    public static void row(TensorType type, MemorySegment data, long rowOffset, int cols, float[] out, int outOff) {
        for (int c = 0; c < cols; c++) {
            out[outOff + c] = element(type, data, rowOffset, c);
        }
    }
}
