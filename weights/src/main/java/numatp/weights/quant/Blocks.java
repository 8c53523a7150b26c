package numatp.weights.quant;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Little-endian field reads shared by the block layouts. */
final class Blocks {
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

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
        return scaleMin6(seg.get(I64, offset), seg.get(I32, offset + 8), j);
    }

    /**
     * {@link #scaleMin6(MemorySegment, long, int)} from the 12 packed bytes already read: bytes
     * 0..7 little-endian in {@code low8}, bytes 8..11 in {@code high4}.
     */
    static int scaleMin6(long low8, int high4, int j) {
        int scale;
        int min;
        if (j < 4) {
            scale = (int) (low8 >>> (8 * j)) & 63;
            min = (int) (low8 >>> (8 * j + 32)) & 63;
        } else {
            int packed = (high4 >>> (8 * (j - 4))) & 0xFF;
            scale = (packed & 0x0F) | ((((int) (low8 >>> (8 * (j - 4)))) & 0xC0) >>> 2);
            min = (packed >>> 4) | ((((int) (low8 >>> (8 * j))) & 0xC0) >>> 2);
        }
        return scale | (min << 8);
    }

    /** Bytes 0..7 of the 12 at {@code offset}, little-endian (Q4_K/Q5_K scales, Q3_K scales). */
    static long low8(MemorySegment seg, long offset) {
        return seg.get(I64, offset);
    }

    /** Bytes 8..11 of the 12 at {@code offset}, little-endian. */
    static int high4(MemorySegment seg, long offset) {
        return seg.get(I32, offset + 8);
    }
}
