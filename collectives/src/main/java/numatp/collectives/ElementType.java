package numatp.collectives;

/** Element types the collectives move and reduce. Sums of F16/BF16 accumulate in f32. */
public enum ElementType {
    F32(4),
    F16(2),
    BF16(2);

    private final int sizeBytes;

    ElementType(int sizeBytes) {
        this.sizeBytes = sizeBytes;
    }

    public int sizeBytes() {
        return sizeBytes;
    }
}
