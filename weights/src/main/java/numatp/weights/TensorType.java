package numatp.weights;

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
    /** Blocks of 32: f16 scale d, 32 int8 q; value = q * d. */
    Q8_0(8, 32, 34),
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
