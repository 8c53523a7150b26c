package numatp.weights.quant;

import java.lang.foreign.MemorySegment;

/**
 * Q5_K (ggml id 13): super-blocks of 256 elements in 176 bytes, 8 sub-blocks of 32 with a
 * 6-bit scale and a 6-bit min each (packed as Q4_K's); value = (d * scale) * q - (dmin * min),
 * q in 0..31: low 4 bits as Q4_K's nibbles, bit 4 from {@link #QH}.
 * Written by the quantiser (llama-quantize, {@code Quantize}); read by {@code Dequant} and the kernels.
 */
public final class Q5KLayout {
    public static final int BLOCK_ELEMENTS = 256;
    public static final int BLOCK_BYTES = 176;
    /** Elements per sub-block (one scale and one min). */
    public static final int SUB_ELEMENTS = 32;
    /** f16 super-block scale d. */
    public static final int D = 0;
    /** f16 super-block min scale dmin. */
    public static final int DMIN = 2;
    /** 12 bytes of eight 6-bit scales and mins, as {@link Q4KLayout#SCALES}. */
    public static final int SCALES = 4;
    /** 32 bytes: element e = 32 g + l (g = sub-block 0..7, l 0..31) has its bit 4 in bit g of byte l. */
    public static final int QH = 16;
    /** 128 bytes of low nibbles, laid out as {@link Q4KLayout#QS}. */
    public static final int QS = 48;

    private Q5KLayout() {
    }

    /** Sub-block {@code j}'s (0..7) scale in the low byte and min in the second byte of the result. */
    public static int scaleMin(MemorySegment seg, long block, int j) {
        return Blocks.scaleMin6(seg, block + SCALES, j);
    }

    /** Bytes 0..7 of {@link #SCALES}, little-endian, for {@link #scaleMin(long, int, int)}. */
    public static long scalesLow(MemorySegment seg, long block) {
        return Blocks.low8(seg, block + SCALES);
    }

    /** Bytes 8..11 of {@link #SCALES}, little-endian, for {@link #scaleMin(long, int, int)}. */
    public static int scalesHigh(MemorySegment seg, long block) {
        return Blocks.high4(seg, block + SCALES);
    }

    /**
     * {@link #scaleMin(MemorySegment, long, int)} from the scale bytes read once per block by
     * {@link #scalesLow} and {@link #scalesHigh} (kernels: no memory access per sub-block).
     */
    public static int scaleMin(long scalesLow, int scalesHigh, int j) {
        return Blocks.scaleMin6(scalesLow, scalesHigh, j);
    }

    /** Element {@code e} (0..255) of the block at {@code block}. */
    public static float element(MemorySegment seg, long block, int e) {
        int sub = e / 32;
        int sm = scaleMin(seg, block, sub);
        float dl = Blocks.half(seg, block + D) * (sm & 0xFF);
        float ml = Blocks.half(seg, block + DMIN) * (sm >>> 8);
        int packed = Blocks.u8(seg, block + QS + 32 * (e / 64) + e % 32);
        int low = sub % 2 == 0 ? packed & 0x0F : packed >>> 4;
        int high = (Blocks.u8(seg, block + QH + e % 32) >>> sub) & 1;
        return dl * (low | (high << 4)) - ml;
    }
}
