package numatp.weights.quant;

import java.lang.foreign.MemorySegment;

/**
 * Q2_K (ggml id 10): super-blocks of 256 elements in 84 bytes, 16 sub-blocks of 16 with a
 * 4-bit scale and a 4-bit min each; value = (d * scale) * q - (dmin * min), q in 0..3.
 * Written by the quantiser (llama-quantize, {@code Quantize}); read by {@code Dequant} and the kernels.
 */
public final class Q2KLayout {
    public static final int BLOCK_ELEMENTS = 256;
    public static final int BLOCK_BYTES = 84;
    /** Elements per sub-block (one scale). */
    public static final int SUB_ELEMENTS = 16;
    /** Elements per half; a half's 2-bit quants fill {@link #HALF_QS_BYTES} bytes of {@link #QS}, four shift steps. */
    public static final int HALF_ELEMENTS = 128;
    /** Bytes of {@link #QS} per half: each holds four elements, one per 2-bit shift step. */
    public static final int HALF_QS_BYTES = 32;
    /** 16 bytes, one per sub-block of 16 elements: scale in the low nibble, min in the high nibble. */
    public static final int SCALES = 0;
    /**
     * 64 bytes of 2-bit q: element e = 128 h + 32 s + 16 k + l (h half, s shift step 0..3,
     * k 0..1, l 0..15) sits in bits 2s..2s+1 of byte 32 h + 16 k + l.
     */
    public static final int QS = 16;
    /** f16 super-block scale d (multiplies the 4-bit scales). */
    public static final int D = 80;
    /** f16 super-block min scale dmin (multiplies the 4-bit mins). */
    public static final int DMIN = 82;

    private Q2KLayout() {
    }

    /** Element {@code e} (0..255) of the block at {@code block}. */
    public static float element(MemorySegment seg, long block, int e) {
        int packedScale = Blocks.u8(seg, block + SCALES + e / 16);
        float dl = Blocks.half(seg, block + D) * (packedScale & 0x0F);
        float ml = Blocks.half(seg, block + DMIN) * (packedScale >>> 4);
        int half = e / 128;
        int shift = 2 * ((e % 128) / 32);
        int q = (Blocks.u8(seg, block + QS + 32 * half + (e % 32)) >>> shift) & 3;
        return dl * q - ml;
    }
}
