package numatp.weights;

import java.lang.foreign.MemorySegment;

/**
 * A named 2-D (or 1-D, rows = 1) tensor, row-major: {@code rows} rows of {@code cols}
 * elements encoded as {@code type}; a row of a quantised type is whole blocks. The
 * data is usually a slice of a memory-mapped file or of node-local memory.
 */
public record Tensor(String name, TensorType type, int rows, int cols, MemorySegment data) {
    public Tensor {
        if (rows < 0 || cols < 0) {
            throw new WeightsException("tensor " + name + ": negative shape [" + rows + ", " + cols + "]");
        }
        if (cols % type.blockElements() != 0) {
            throw new WeightsException("tensor " + name + ": row length " + cols + " is not a multiple of the "
                    + type + " block size " + type.blockElements());
        }
        long expected = type.bytesFor((long) rows * cols);
        if (data.byteSize() != expected) {
            throw new WeightsException("tensor " + name + ": " + type + " [" + rows + ", " + cols + "] needs "
                    + expected + " bytes, got " + data.byteSize());
        }
    }

    /** Bytes of one row. */
    public long rowBytes() {
        return type.bytesFor(cols);
    }

    /** Rows [from, from + count) as a view, no copy. */
    public Tensor rowSlice(int from, int count) {
        if (from < 0 || count < 0 || from + count > rows) {
            throw new WeightsException("tensor " + name + ": rows [" + from + ", " + (from + count)
                    + ") outside [0, " + rows + ")");
        }
        return new Tensor(name, type, count, cols, data.asSlice(from * rowBytes(), count * rowBytes()));
    }

    /** The same data under another name. */
    public Tensor withName(String newName) {
        return new Tensor(newName, type, rows, cols, data);
    }

    /** Reads element (row, col) as f32, dequantising; slow, for tests and copies. */
    public float get(int row, int col) {
        return Dequant.element(type, data, row * rowBytes(), col);
    }
}
