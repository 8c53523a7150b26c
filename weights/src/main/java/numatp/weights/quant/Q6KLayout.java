package numatp.weights.quant;

import java.lang.foreign.MemorySegment;

/**
 * Q6_K (ggml id 14): super-blocks of 256 elements in 210 bytes, 16 sub-blocks of 16 with a
 * signed 8-bit scale each; value = (d * scale) * (q - 32), q in 0..63: low 4 bits from
 * {@link #QL}, top 2 bits from {@link #QH}.
 * Written by the quantiser (llama-quantize, {@code Quantize}); read by {@code Dequant} and the kernels.
 */
public final class Q6KLayout {
    public static final int BLOCK_ELEMENTS = 256;
    public static final int BLOCK_BYTES = 210;
    /** Elements per sub-block (one scale). */
    public static final int SUB_ELEMENTS = 16;
    /**
     * 128 bytes of low nibbles: element e = 128 h + 32 p + l (h half, p 0..3, l 0..31) is the
     * low (p &lt; 2) or high (p &ge; 2) nibble of byte 64 h + 32 (p % 2) + l.
     */
    public static final int QL = 0;
    /** 64 bytes of top bits: element 128 h + 32 p + l has them in bits 2p..2p+1 of byte 32 h + l. */
    public static final int QH = 128;
    /** 16 signed bytes: the scale of sub-block i = e / 16. */
    public static final int SCALES = 192;
    /** f16 super-block scale d. */
    public static final int D = 208;

    private Q6KLayout() {
    }

    /** Element {@code e} (0..255) of the block at {@code block}. */
    public static float element(MemorySegment seg, long block, int e) {
        float dl = Blocks.half(seg, block + D) * Blocks.i8(seg, block + SCALES + e / 16);
        int half = e / 128;
        int p = (e % 128) / 32;
        int l = e % 32;
        int packed = Blocks.u8(seg, block + QL + 64 * half + 32 * (p % 2) + l);
        int low = p < 2 ? packed & 0x0F : packed >>> 4;
        int high = (Blocks.u8(seg, block + QH + 32 * half + l) >>> (2 * p)) & 3;
        return dl * ((low | (high << 4)) - 32);
    }
}
