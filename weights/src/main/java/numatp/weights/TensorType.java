package numatp.weights;

import numatp.weights.quant.Q2KLayout;
import numatp.weights.quant.Q3KLayout;
import numatp.weights.quant.Q41Layout;
import numatp.weights.quant.Q4KLayout;
import numatp.weights.quant.Q50Layout;
import numatp.weights.quant.Q51Layout;
import numatp.weights.quant.Q5KLayout;
import numatp.weights.quant.Q6KLayout;

/**
 * Element encodings numatp reads and computes on, with ggml's type ids. Quantised
 * types store blocks of {@link #blockElements()} elements in {@link #blockBytes()} bytes.
 */
public enum TensorType {
    /** 32-bit IEEE float. */
    F32(0, 1, 4),
    /** 16-bit IEEE half. */
    F16(1, 1, 2),
    /** Blocks of 32: f16 scale d, 16 bytes of nibbles (low nibbles = elements 0..15); value = (q - 8) * d. */
    Q4_0(2, 32, 18),
    /** Blocks of 32: f16 scale d, f16 min m, 16 bytes of nibbles; see {@link Q41Layout}. */
    Q4_1(3, Q41Layout.BLOCK_ELEMENTS, Q41Layout.BLOCK_BYTES),
    /** Blocks of 32: f16 scale d, 32 high bits, 16 bytes of nibbles; see {@link Q50Layout}. */
    Q5_0(6, Q50Layout.BLOCK_ELEMENTS, Q50Layout.BLOCK_BYTES),
    /** Blocks of 32: f16 scale d, f16 min m, 32 high bits, 16 bytes of nibbles; see {@link Q51Layout}. */
    Q5_1(7, Q51Layout.BLOCK_ELEMENTS, Q51Layout.BLOCK_BYTES),
    /** Blocks of 32: f16 scale d, 32 int8 q; value = q * d. */
    Q8_0(8, 32, 34),
    /** Super-blocks of 256, 2-bit q, 4-bit sub-block scales and mins; see {@link Q2KLayout}. */
    Q2_K(10, Q2KLayout.BLOCK_ELEMENTS, Q2KLayout.BLOCK_BYTES),
    /** Super-blocks of 256, 3-bit q, 6-bit sub-block scales; see {@link Q3KLayout}. */
    Q3_K(11, Q3KLayout.BLOCK_ELEMENTS, Q3KLayout.BLOCK_BYTES),
    /** Super-blocks of 256, 4-bit q, 6-bit sub-block scales and mins; see {@link Q4KLayout}. */
    Q4_K(12, Q4KLayout.BLOCK_ELEMENTS, Q4KLayout.BLOCK_BYTES),
    /** Super-blocks of 256, 5-bit q, 6-bit sub-block scales and mins; see {@link Q5KLayout}. */
    Q5_K(13, Q5KLayout.BLOCK_ELEMENTS, Q5KLayout.BLOCK_BYTES),
    /** Super-blocks of 256, 6-bit q, 8-bit sub-block scales; see {@link Q6KLayout}. */
    Q6_K(14, Q6KLayout.BLOCK_ELEMENTS, Q6KLayout.BLOCK_BYTES),
    /** bfloat16: the upper half of an f32. */
    BF16(30, 1, 2);

    private final int ggmlId;
    private final int blockElements;
    private final int blockBytes;

    TensorType(int ggmlId, int blockElements, int blockBytes) {
        this.ggmlId = ggmlId;
        this.blockElements = blockElements;
        this.blockBytes = blockBytes;
    }

    public int ggmlId() {
        return ggmlId;
    }

    public int blockElements() {
        return blockElements;
    }

    public int blockBytes() {
        return blockBytes;
    }

    /** Bytes of {@code elements} elements; {@code elements} must be a multiple of the block size. */
    public long bytesFor(long elements) {
        if (elements < 0 || elements % blockElements != 0) {
            throw new WeightsException(this + " needs a multiple of " + blockElements + " elements: " + elements);
        }
        return Math.multiplyExact(elements / blockElements, (long) blockBytes);
    }

    /** The type with ggml id {@code id}, or null when numatp does not support it. */
    public static TensorType ofGgmlId(long id) {
        for (TensorType t : values()) {
            if (t.ggmlId == id) {
                return t;
            }
        }
        return null;
    }
}
