package numatp.weights.quant;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Little-endian field reads shared by the block layouts. */
final class Blocks {
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Blocks() {
    }

    /** The f16 at {@code offset}, widened to f32. */
    static float half(MemorySegment seg, long offset) {
        return Float.float16ToFloat(seg.get(I16, offset));
    }

    /** The byte at {@code offset}, unsigned (0..255). */
    static int u8(MemorySegment seg, long offset) {
        return seg.get(ValueLayout.JAVA_BYTE, offset) & 0xFF;
    }

    /** The byte at {@code offset}, signed (-128..127). */
    static int i8(MemorySegment seg, long offset) {
        return seg.get(ValueLayout.JAVA_BYTE, offset);
    }

    /** The little-endian 32-bit word at {@code offset}. */
    static int u32(MemorySegment seg, long offset) {
        return seg.get(I32, offset);
    }

    /**
     * Scale (low 6 bits of the result) and min (bits 8..13) of sub-block {@code j} (0..7) from
     * the 12 packed bytes at {@code offset} shared by Q4_K and Q5_K: sub-blocks 0..3 keep
     * scale and min in the low 6 bits of bytes j and j + 4; sub-blocks 4..7 keep their low 4
     * bits in the nibbles of byte j + 4 (scale low, min high) and their top 2 bits in the top
     * 2 bits of bytes j - 4 (scale) and j (min).
     */
    static int scaleMin6(MemorySegment seg, long offset, int j) {
        int scale;
        int min;
        if (j < 4) {
            scale = u8(seg, offset + j) & 63;
            min = u8(seg, offset + j + 4) & 63;
        } else {
            int packed = u8(seg, offset + j + 4);
            scale = (packed & 0x0F) | ((u8(seg, offset + j - 4) >>> 6) << 4);
            min = (packed >>> 4) | ((u8(seg, offset + j) >>> 6) << 4);
        }
        return scale | (min << 8);
    }
}
