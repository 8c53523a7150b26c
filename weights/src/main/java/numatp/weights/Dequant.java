package numatp.weights;

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
        };
    }
}
