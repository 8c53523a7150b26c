package numatp.weights.quant;

import java.lang.foreign.MemorySegment;

/**
 * Q4_1 (ggml id 3): blocks of 32 elements in 20 bytes; value = q * d + m with q in 0..15.
 * Written by the quantiser (llama-quantize, {@code Quantize}); read by {@code Dequant} and the kernels.
 */
public final class Q41Layout {
    public static final int BLOCK_ELEMENTS = 32;
    public static final int BLOCK_BYTES = 20;
    /** f16 scale d. */
    public static final int D = 0;
    /** f16 offset m (the block's minimum). */
    public static final int M = 2;
    /** 16 bytes: element j (0..15) in the low nibble of byte j, element 16 + j in its high nibble. */
    public static final int QS = 4;

    private Q41Layout() {
    }

    /** Element {@code j} (0..31) of the block at {@code block}. */
    public static float element(MemorySegment seg, long block, int j) {
        int packed = Blocks.u8(seg, block + QS + (j & 15));
        int q = j < 16 ? packed & 0x0F : packed >>> 4;
        return q * Blocks.half(seg, block + D) + Blocks.half(seg, block + M);
    }
}
