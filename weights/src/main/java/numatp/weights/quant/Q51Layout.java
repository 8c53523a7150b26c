package numatp.weights.quant;

import java.lang.foreign.MemorySegment;

/**
 * Q5_1 (ggml id 7): blocks of 32 elements in 24 bytes; value = q * d + m with q in 0..31.
 * Written by the quantiser (llama-quantize, {@code Quantize}); read by {@code Dequant} and the kernels.
 */
public final class Q51Layout {
    public static final int BLOCK_ELEMENTS = 32;
    public static final int BLOCK_BYTES = 24;
    /** f16 scale d. */
    public static final int D = 0;
    /** f16 offset m (the block's minimum). */
    public static final int M = 2;
    /** Little-endian 32-bit word: bit j is bit 4 of element j's q. */
    public static final int QH = 4;
    /** 16 bytes: low 4 bits of element j (0..15) in the low nibble of byte j, of element 16 + j in its high nibble. */
    public static final int QS = 8;

    private Q51Layout() {
    }

    /** Element {@code j} (0..31) of the block at {@code block}. */
    public static float element(MemorySegment seg, long block, int j) {
        return Q50Layout.q(seg, block, QS, QH, j) * Blocks.half(seg, block + D) + Blocks.half(seg, block + M);
    }
}
