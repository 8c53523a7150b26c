package numatp.weights.gguf;

/** GGUF metadata value types, with their on-disk ids. */
public enum GgufValueType {
    UINT8, INT8, UINT16, INT16, UINT32, INT32, FLOAT32, BOOL, STRING, ARRAY, UINT64, INT64, FLOAT64;

    /** The type with id {@code id}, or null. */
    public static GgufValueType of(long id) {
        return id >= 0 && id < values().length ? values()[(int) id] : null;
    }

    /** Bytes of one value of a fixed-size type; -1 for STRING and ARRAY. */
    public int sizeBytes() {
        return switch (this) {
            case UINT8, INT8, BOOL -> 1;
            case UINT16, INT16 -> 2;
            case UINT32, INT32, FLOAT32 -> 4;
            case UINT64, INT64, FLOAT64 -> 8;
            case STRING, ARRAY -> -1;
        };
    }
}
