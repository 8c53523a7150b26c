package numatp.weights.quant;

import java.lang.foreign.MemorySegment;

/**
 * Q3_K (ggml id 11): super-blocks of 256 elements in 110 bytes, 16 sub-blocks of 16 with a
 * 6-bit scale each (stored + 32); value = (d * (scale - 32)) * q, q in -4..3: the low 2 bits
 * from {@link #QS}, minus 4 when the element's {@link #HMASK} bit is clear.
 * Written by the quantiser (llama-quantize, {@code Quantize}); read by {@code Dequant} and the kernels.
 */
public final class Q3KLayout {
    public static final int BLOCK_ELEMENTS = 256;
    public static final int BLOCK_BYTES = 110;
    /** Elements per sub-block (one scale). */
    public static final int SUB_ELEMENTS = 16;
    /** Elements per half; a half's 2-bit quants fill {@link #HALF_QS_BYTES} bytes of {@link #QS}, four shift steps. */
    public static final int HALF_ELEMENTS = 128;
    /** Bytes of {@link #QS} per half: each holds four elements, one per 2-bit shift step. */
    public static final int HALF_QS_BYTES = 32;
    /** 32 bytes: element e = 32 g + l (g 0..7, l 0..31) has its high bit in bit g of byte l. */
    public static final int HMASK = 0;
    /**
     * 64 bytes of low 2 bits: element e = 128 h + 32 s + 16 k + l (h half, s shift step 0..3,
     * k 0..1, l 0..15) sits in bits 2s..2s+1 of byte 32 h + 16 k + l.
     */
    public static final int QS = 32;
    /**
     * 12 bytes of sixteen 6-bit scales: scale i has its low 4 bits in the low nibble of byte i
     * (i &lt; 8) or the high nibble of byte i - 8 (i &ge; 8), and its top 2 bits in bits
     * 2 (i / 4)..2 (i / 4) + 1 of byte 8 + i % 4.
     */
    public static final int SCALES = 96;
    /** f16 super-block scale d. */
    public static final int D = 108;

    private Q3KLayout() {
    }

    /** The 6-bit scale of sub-block {@code i} (0..15) minus 32. */
    public static int scale(MemorySegment seg, long block, int i) {
        return scale(scalesLow(seg, block), scalesHigh(seg, block), i);
    }

    /** Bytes 0..7 of {@link #SCALES}, little-endian, for {@link #scale(long, int, int)}. */
    public static long scalesLow(MemorySegment seg, long block) {
        return Blocks.low8(seg, block + SCALES);
    }

    /** Bytes 8..11 of {@link #SCALES}, little-endian, for {@link #scale(long, int, int)}. */
    public static int scalesHigh(MemorySegment seg, long block) {
        return Blocks.high4(seg, block + SCALES);
    }

    /** {@link #scale(MemorySegment, long, int)} from the scale bytes read once per block. */
    public static int scale(long scalesLow, int scalesHigh, int i) {
        int low = (int) (scalesLow >>> (8 * (i & 7) + 4 * (i >>> 3))) & 0x0F;
        int high = (scalesHigh >>> (8 * (i & 3) + 2 * (i >>> 2))) & 3;
        return (low | (high << 4)) - 32;
    }

    /** Element {@code e} (0..255) of the block at {@code block}. */
    public static float element(MemorySegment seg, long block, int e) {
        float dl = Blocks.half(seg, block + D) * scale(seg, block, e / 16);
        int half = e / 128;
        int shift = 2 * ((e % 128) / 32);
        int low = (Blocks.u8(seg, block + QS + 32 * half + (e % 32)) >>> shift) & 3;
        boolean high = ((Blocks.u8(seg, block + HMASK + (e % 32)) >>> (e / 32)) & 1) != 0;
        return dl * (low - (high ? 0 : 4));
    }
}
