package numatp.weights.gguf;

import numatp.weights.TensorType;
import numatp.weights.WeightsException;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes GGUF v3 files: metadata in insertion order, tensor infos, then the tensor data,
 * each tensor aligned to {@code general.alignment} (32). Used by {@code tp convert} and
 * by tests to build models of any shape and type.
 *
 * <p>Tensor data is streamed: the header is written from the sizes alone, then each
 * tensor's bytes are pulled from its {@link TensorBytes} one chunk (about 1 MiB) at a time,
 * so a file of any size is written with one chunk of heap.
 */
public final class GgufWriter {
    /** Heap buffer the tensor data passes through, rounded down to whole blocks per tensor. */
    static final int CHUNK_BYTES = 1 << 20;

    /**
     * A tensor's bytes, produced when the file is written. {@link #fill} is called for
     * consecutive chunks in order, from offset 0 to the tensor's size; every chunk but the
     * last holds a whole number of blocks of the tensor's type and starts on a block.
     */
    @FunctionalInterface
    public interface TensorBytes {
        /** Writes the tensor's bytes [offsetBytes, offsetBytes + chunk.byteSize()) into {@code chunk}. */
        void fill(long offsetBytes, MemorySegment chunk);
    }

    private record Value(GgufValueType type, GgufValueType elementType, Object value) {
    }

    private record PendingTensor(String name, TensorType type, long[] dims, long sizeBytes, TensorBytes bytes) {
    }

    private final Map<String, Value> metadata = new LinkedHashMap<>();
    private final List<PendingTensor> tensors = new ArrayList<>();

    public GgufWriter putString(String key, String v) {
        metadata.put(key, new Value(GgufValueType.STRING, null, v));
        return this;
    }

    public GgufWriter putU32(String key, long v) {
        metadata.put(key, new Value(GgufValueType.UINT32, null, v));
        return this;
    }

    public GgufWriter putF32(String key, float v) {
        metadata.put(key, new Value(GgufValueType.FLOAT32, null, v));
        return this;
    }

    public GgufWriter putBool(String key, boolean v) {
        metadata.put(key, new Value(GgufValueType.BOOL, null, v));
        return this;
    }

    public GgufWriter putStrings(String key, String[] v) {
        metadata.put(key, new Value(GgufValueType.ARRAY, GgufValueType.STRING, v.clone()));
        return this;
    }

    public GgufWriter putF32s(String key, float[] v) {
        metadata.put(key, new Value(GgufValueType.ARRAY, GgufValueType.FLOAT32, v.clone()));
        return this;
    }

    public GgufWriter putI32s(String key, int[] v) {
        metadata.put(key, new Value(GgufValueType.ARRAY, GgufValueType.INT32, v.clone()));
        return this;
    }

    /** A tensor with GGUF dims (dims[0] = row length): [cols, rows] for a matrix, [n] for a vector. */
    public GgufWriter addTensor(String name, TensorType type, long[] ggufDims, MemorySegment data) {
        long elements = elements(name, ggufDims);
        long size = type.bytesFor(elements);
        if (data.byteSize() != size) {
            throw new WeightsException("tensor " + name + ": " + data.byteSize() + " bytes for " + elements + " "
                    + type + " elements");
        }
        tensors.add(new PendingTensor(name, type, ggufDims.clone(), size,
                (offset, chunk) -> MemorySegment.copy(data, offset, chunk, 0, chunk.byteSize())));
        return this;
    }

    /** A tensor whose bytes {@code bytes} produces while {@link #write} runs (see {@link TensorBytes}). */
    public GgufWriter addTensor(String name, TensorType type, long[] ggufDims, TensorBytes bytes) {
        tensors.add(new PendingTensor(name, type, ggufDims.clone(), type.bytesFor(elements(name, ggufDims)), bytes));
        return this;
    }

    private static long elements(String name, long[] ggufDims) {
        long elements = 1;
        for (long d : ggufDims) {
            if (d < 0) {
                throw new WeightsException("tensor " + name + ": dimensions must not be negative: "
                        + java.util.Arrays.toString(ggufDims));
            }
            elements = Math.multiplyExact(elements, d);
        }
        return elements;
    }

    public void write(Path path) {
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(path), 1 << 20)) {
            Sink sink = new Sink(out);
            sink.i32(GgufFile.MAGIC);
            sink.i32(3);
            sink.i64(tensors.size());
            sink.i64(metadata.size());
            for (var e : metadata.entrySet()) {
                sink.string(e.getKey());
                Value v = e.getValue();
                sink.i32(v.type().ordinal());
                if (v.type() == GgufValueType.ARRAY) {
                    sink.i32(v.elementType().ordinal());
                    switch (v.elementType()) {
                        case STRING -> {
                            String[] a = (String[]) v.value();
                            sink.i64(a.length);
                            for (String s : a) {
                                sink.string(s);
                            }
                        }
                        case FLOAT32 -> {
                            float[] a = (float[]) v.value();
                            sink.i64(a.length);
                            for (float f : a) {
                                sink.i32(Float.floatToRawIntBits(f));
                            }
                        }
                        default -> {
                            int[] a = (int[]) v.value();
                            sink.i64(a.length);
                            for (int i : a) {
                                sink.i32(i);
                            }
                        }
                    }
                } else {
                    switch (v.type()) {
                        case STRING -> sink.string((String) v.value());
                        case UINT32 -> sink.i32((int) (long) (Long) v.value());
                        case FLOAT32 -> sink.i32(Float.floatToRawIntBits((Float) v.value()));
                        case BOOL -> sink.out.write((Boolean) v.value() ? 1 : 0);
                        default -> throw new IllegalStateException(v.type().toString());
                    }
                    if (v.type() == GgufValueType.BOOL) {
                        sink.pos++;
                    }
                }
            }
            long offset = 0;
            for (int i = 0; i < tensors.size(); i++) {
                PendingTensor t = tensors.get(i);
                sink.string(t.name());
                sink.i32(t.dims().length);
                for (long d : t.dims()) {
                    sink.i64(d);
                }
                sink.i32(t.type().ggmlId());
                sink.i64(offset);
                offset = align(offset + t.sizeBytes());
            }
            sink.pad(align(sink.pos) - sink.pos);
            byte[] buffer = new byte[CHUNK_BYTES];
            MemorySegment chunk = MemorySegment.ofArray(buffer);
            for (PendingTensor t : tensors) {
                int step = Math.max(1, CHUNK_BYTES / t.type().blockBytes()) * t.type().blockBytes();
                for (long at = 0; at < t.sizeBytes(); at += step) {
                    int n = (int) Math.min(step, t.sizeBytes() - at);
                    t.bytes().fill(at, chunk.asSlice(0, n));
                    sink.bytes(buffer, n);
                }
                sink.pad(align(t.sizeBytes()) - t.sizeBytes());
            }
        } catch (IOException e) {
            throw new WeightsException(path + ": cannot write GGUF: " + e.getMessage(), e);
        }
    }

    private static long align(long v) {
        return (v + GgufFile.DEFAULT_ALIGNMENT - 1) / GgufFile.DEFAULT_ALIGNMENT * GgufFile.DEFAULT_ALIGNMENT;
    }

    private static final class Sink {
        final OutputStream out;
        final ByteBuffer buf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        long pos;

        Sink(OutputStream out) {
            this.out = out;
        }

        void i32(int v) throws IOException {
            buf.clear();
            buf.putInt(v);
            out.write(buf.array(), 0, 4);
            pos += 4;
        }

        void i64(long v) throws IOException {
            buf.clear();
            buf.putLong(v);
            out.write(buf.array(), 0, 8);
            pos += 8;
        }

        void string(String s) throws IOException {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            i64(b.length);
            bytes(b, b.length);
        }

        void bytes(byte[] b, int n) throws IOException {
            out.write(b, 0, n);
            pos += n;
        }

        void pad(long n) throws IOException {
            for (long i = 0; i < n; i++) {
                out.write(0);
            }
            pos += n;
        }
    }
}
