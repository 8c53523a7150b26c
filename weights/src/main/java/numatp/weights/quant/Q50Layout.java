package numatp.weights.quant;

import java.lang.foreign.MemorySegment;

/**
 * Q5_0 (ggml id 6): blocks of 32 elements in 22 bytes; value = (q - 16) * d with q in 0..31.
 * Written by the quantiser (llama-quantize, {@code Quantize}); read by {@code Dequant} and the kernels.
 */
public final class Q50Layout {
    public static final int BLOCK_ELEMENTS = 32;
    public static final int BLOCK_BYTES = 22;
    /** f16 scale d. */
    public static final int D = 0;
    /** Little-endian 32-bit word: bit j is bit 4 of element j's q. */
    public static final int QH = 2;
    /** 16 bytes: low 4 bits of element j (0..15) in the low nibble of byte j, of element 16 + j in its high nibble. */
    public static final int QS = 6;

    private Q50Layout() {
    }

    /** Element {@code j} (0..31) of the block at {@code block}. */
    public static float element(MemorySegment seg, long block, int j) {
        return (q(seg, block, QS, QH, j) - 16) * Blocks.half(seg, block + D);
    }

    /** The 5-bit q of element j from nibbles at {@code qs} and high bits at {@code qh} (shared with Q5_1). */
    static int q(MemorySegment seg, long block, int qs, int qh, int j) {
        int packed = Blocks.u8(seg, block + qs + (j & 15));
        int low = j < 16 ? packed & 0x0F : packed >>> 4;
        int high = (Blocks.u32(seg, block + qh) >>> j) & 1;
        return low | (high << 4);
    }
}
