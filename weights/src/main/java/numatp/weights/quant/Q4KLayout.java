package numatp.weights.quant;

import java.lang.foreign.MemorySegment;

/**
 * Q4_K (ggml id 12): super-blocks of 256 elements in 144 bytes, 8 sub-blocks of 32 with a
 * 6-bit scale and a 6-bit min each; value = (d * scale) * q - (dmin * min), q in 0..15.
 * Written by the quantiser (llama-quantize, {@code Quantize}); read by {@code Dequant} and the kernels.
 */
public final class Q4KLayout {
    public static final int BLOCK_ELEMENTS = 256;
    public static final int BLOCK_BYTES = 144;
    /** Elements per sub-block (one scale and one min). */
    public static final int SUB_ELEMENTS = 32;
    /** f16 super-block scale d (multiplies the 6-bit scales). */
    public static final int D = 0;
    /** f16 super-block min scale dmin (multiplies the 6-bit mins). */
    public static final int DMIN = 2;
    /** 12 bytes of eight 6-bit scales and mins, packed as {@code Blocks.scaleMin6} reads them. */
    public static final int SCALES = 4;
    /**
     * 128 bytes of nibbles: element e = 64 c + 32 k + l (c 0..3, k 0..1, l 0..31) is the low
     * (k = 0) or high (k = 1) nibble of byte 32 c + l; its sub-block is 2 c + k.
     */
    public static final int QS = 16;

    private Q4KLayout() {
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
        int sm = scaleMin(seg, block, e / 32);
        float dl = Blocks.half(seg, block + D) * (sm & 0xFF);
        float ml = Blocks.half(seg, block + DMIN) * (sm >>> 8);
        int packed = Blocks.u8(seg, block + QS + 32 * (e / 64) + e % 32);
        int q = (e / 32) % 2 == 0 ? packed & 0x0F : packed >>> 4;
        return dl * q - ml;
    }
}
