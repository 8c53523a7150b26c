package numatp.weights.gguf;

import numatp.weights.MappedFile;
import numatp.weights.Tensor;
import numatp.weights.TensorType;
import numatp.weights.WeightsException;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A memory-mapped GGUF v2/v3 file: metadata (every value type, arrays as Java arrays:
 * integers widened to long[], FLOAT32 to float[], FLOAT64 to double[], BOOL to boolean[],
 * STRING to String[]; scalars boxed), tensor infos and views of tensor data. Every read
 * is bounds-checked against the file; bad input fails with a {@link WeightsException}
 * naming the file, the key or tensor, and the offset. Counts are checked against the
 * bytes left before anything is allocated, so hostile counts cannot exhaust memory.
 *
 * <p>A split file ({@code model-00001-of-00003.gguf}, as llama.cpp's {@code gguf-split}
 * writes it) opens as one logical model from any of its parts: the metadata of the first part,
 * the tensors of all, each mapped from its own part (see {@link GgufSplit}).
 */
public final class GgufFile implements AutoCloseable {
    public static final int MAGIC = 0x46554747; // "GGUF" little-endian
    public static final int DEFAULT_ALIGNMENT = 32;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int MAX_DIMS = 4;

    private final MappedFile file;
    private final int version;
    private final Map<String, Object> metadata;
    private final Map<String, GgufTensorInfo> tensorInfos;
    private final long dataStart;
    /** For a split file: the part each tensor's data is in (absent: the first). */
    private final Map<String, Part> partOfTensor;
    private final int partCount;

    /** One file of a split model: its mapping and where its data section starts. */
    record Part(MappedFile file, long dataStart) {
    }

    private GgufFile(MappedFile file, int version, Map<String, Object> metadata, Map<String, GgufTensorInfo> infos,
                     long dataStart) {
        this(file, version, metadata, infos, dataStart, Map.of(), 1);
    }

    GgufFile(MappedFile file, int version, Map<String, Object> metadata, Map<String, GgufTensorInfo> infos,
             long dataStart, Map<String, Part> partOfTensor, int partCount) {
        this.file = file;
        this.version = version;
        this.metadata = metadata;
        this.tensorInfos = infos;
        this.dataStart = dataStart;
        this.partOfTensor = partOfTensor;
        this.partCount = partCount;
    }

    /** Opens {@code path}; for a part of a split file, the whole model. */
    public static GgufFile open(Path path) {
        GgufFile part = openPart(path);
        try {
            return GgufSplit.isSplit(part) ? GgufSplit.join(part) : part;
        } catch (RuntimeException e) {
            part.close();
            throw e;
        }
    }

    /** Opens {@code path} alone, a split file's part as it is. */
    static GgufFile openPart(Path path) {
        MappedFile f = MappedFile.map(path);
        try {
            return new Parser(f).parse();
        } catch (RuntimeException e) {
            f.close();
            throw e;
        }
    }

    /** How many files the model is in (1 unless split). */
    public int partCount() {
        return partCount;
    }

    public Path path() {
        return file.path();
    }

    public MappedFile mappedFile() {
        return file;
    }

    public int version() {
        return version;
    }

    public Map<String, Object> metadata() {
        return Collections.unmodifiableMap(metadata);
    }

    public Map<String, GgufTensorInfo> tensorInfos() {
        return Collections.unmodifiableMap(tensorInfos);
    }

    /** Where the (first part's) data section starts; tensor offsets are relative to their part's. */
    public long dataStart() {
        return dataStart;
    }

    /** Metadata value {@code key}, or a clear error when absent or of another Java type. */
    public <T> T get(String key, Class<T> type) {
        Object v = metadata.get(key);
        if (v == null) {
            throw new WeightsException(file.path() + ": missing metadata key " + key);
        }
        if (!type.isInstance(v)) {
            throw new WeightsException(file.path() + ": metadata key " + key + " is " + v.getClass().getSimpleName()
                    + ", expected " + type.getSimpleName());
        }
        return type.cast(v);
    }

    /** An integer metadata value that must fit an int > 0. */
    public int getPositiveInt(String key) {
        Object v = metadata.get(key);
        if (!(v instanceof Long l)) {
            throw new WeightsException(file.path() + ": metadata key " + key
                    + (v == null ? " is missing" : " is not an integer: " + v));
        }
        if (l <= 0 || l > Integer.MAX_VALUE) {
            throw new WeightsException(file.path() + ": metadata key " + key + " is " + l + ", expected a positive int");
        }
        return (int) (long) l;
    }

    /** A float metadata value (FLOAT32 or FLOAT64), or {@code fallback} when absent. */
    public float getFloat(String key, float fallback) {
        Object v = metadata.get(key);
        if (v == null) {
            return fallback;
        }
        if (v instanceof Float f) {
            return f;
        }
        if (v instanceof Double d) {
            return (float) (double) d;
        }
        throw new WeightsException(file.path() + ": metadata key " + key + " is not a float: " + v);
    }

    /** The tensor {@code name} as a 2-D view ([rows, cols]; 1-D is one row). */
    public Tensor tensor(String name) {
        GgufTensorInfo info = tensorInfos.get(name);
        if (info == null) {
            throw new WeightsException(file.path() + ": missing tensor " + name);
        }
        long cols = info.dims()[0];
        long rows = info.elements() / Math.max(1, cols);
        if (rows > Integer.MAX_VALUE || cols > Integer.MAX_VALUE) {
            throw new WeightsException(file.path() + ": tensor " + name + " has more than 2^31 rows or columns");
        }
        Part part = partOfTensor.get(name);
        MemorySegment segment = part == null ? file.segment() : part.file().segment();
        long start = part == null ? dataStart : part.dataStart();
        MemorySegment data = segment.asSlice(start + info.offset(), info.sizeBytes());
        return new Tensor(name, info.type(), (int) rows, (int) cols, data);
    }

    /** Unmaps every part. */
    @Override
    public void close() {
        file.close();
    }

    /** Sequential, bounds-checked reader of the header. */
    private static final class Parser {
        private final MappedFile f;
        private final MemorySegment s;
        private final long size;
        private long at;
        private String context = "header";

        Parser(MappedFile f) {
            this.f = f;
            this.s = f.segment();
            this.size = s.byteSize();
        }

        private WeightsException error(String what) {
            return new WeightsException(f.path() + ": " + context + ": " + what);
        }

        private void need(long bytes) {
            if (bytes < 0 || bytes > size - at) {
                throw error("truncated at offset " + at + ": need " + bytes + " bytes, " + (size - at) + " left");
            }
        }

        private int u32() {
            need(4);
            int v = s.get(I32, at);
            at += 4;
            return v;
        }

        private long u64() {
            need(8);
            long v = s.get(I64, at);
            at += 8;
            return v;
        }

        /** A count that must be non-negative and fit in the remaining bytes at {@code minBytesEach} per item. */
        private long count(String what, long minBytesEach) {
            long start = at;
            long n = u64();
            if (n < 0 || (minBytesEach > 0 && n > (size - at) / minBytesEach)) {
                throw error(what + " " + Long.toUnsignedString(n) + " at offset " + start
                        + " is impossible: only " + (size - at) + " bytes left");
            }
            return n;
        }

        private String string() {
            long start = at;
            long len = count("string length", 1);
            if (len > Integer.MAX_VALUE) {
                throw error("string at offset " + start + " is too long: " + len);
            }
            byte[] bytes = s.asSlice(at, len).toArray(ValueLayout.JAVA_BYTE);
            at += len;
            try {
                return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPLACE)
                        .onUnmappableCharacter(CodingErrorAction.REPLACE)
                        .decode(java.nio.ByteBuffer.wrap(bytes)).toString();
            } catch (CharacterCodingException e) {
                throw error("string at offset " + start + " is not UTF-8");
            }
        }

        GgufFile parse() {
            need(4);
            int magic = u32();
            if (magic != MAGIC) {
                throw error(String.format("bad magic 0x%08x at offset 0, expected \"GGUF\"", magic));
            }
            int version = u32();
            if (version != 2 && version != 3) {
                throw error("unsupported GGUF version " + version + " at offset 4 (supported: 2, 3)");
            }
            long tensorCount = count("tensor count", 8 + 4 + 8 + 4 + 8);
            long kvCount = count("metadata count", 8 + 4 + 1);
            Map<String, Object> meta = new LinkedHashMap<>();
            for (long i = 0; i < kvCount; i++) {
                context = "metadata entry " + i;
                long keyAt = at;
                String key = string();
                context = "metadata key " + key + " (offset " + keyAt + ")";
                long typeAt = at;
                GgufValueType type = GgufValueType.of(u32() & 0xFFFFFFFFL);
                if (type == null) {
                    throw error("unknown value type at offset " + typeAt);
                }
                if (meta.put(key, value(type)) != null) {
                    throw error("duplicate metadata key: defined twice, which value counts is ambiguous");
                }
            }
            int alignment = DEFAULT_ALIGNMENT;
            Object a = meta.get("general.alignment");
            if (a != null) {
                if (!(a instanceof Long l) || l <= 0 || l > 1 << 20 || Long.bitCount(l) != 1) {
                    context = "metadata key general.alignment";
                    throw error("must be a power of two in [1, 2^20]: " + a);
                }
                alignment = (int) (long) l;
            }
            Map<String, GgufTensorInfo> infos = new LinkedHashMap<>();
            for (long i = 0; i < tensorCount; i++) {
                context = "tensor info " + i;
                long infoAt = at;
                String name = string();
                context = "tensor " + name + " (info at offset " + infoAt + ")";
                int nDims = u32();
                if (nDims < 1 || nDims > MAX_DIMS) {
                    throw error("has " + nDims + " dimensions, expected 1.." + MAX_DIMS);
                }
                long[] dims = new long[nDims];
                long elements = 1;
                for (int d = 0; d < nDims; d++) {
                    dims[d] = u64();
                    if (dims[d] <= 0 || dims[d] > Integer.MAX_VALUE) {
                        throw error("dimension " + d + " is " + Long.toUnsignedString(dims[d]) + ", expected (0, 2^31)");
                    }
                    try {
                        elements = Math.multiplyExact(elements, dims[d]);
                    } catch (ArithmeticException e) {
                        throw error("element count overflows");
                    }
                }
                long typeAt = at;
                long typeId = u32() & 0xFFFFFFFFL;
                TensorType type = TensorType.ofGgmlId(typeId);
                if (type == null) {
                    throw error("unsupported type " + typeId + " at offset " + typeAt
                            + " (supported: " + Arrays.toString(TensorType.values()) + ")");
                }
                if (dims[0] % type.blockElements() != 0) {
                    throw error("row length " + dims[0] + " is not a multiple of the " + type + " block size");
                }
                long offset = u64();
                long bytes;
                try {
                    bytes = type.bytesFor(elements);
                } catch (ArithmeticException e) {
                    throw error("size overflows");
                }
                if (offset < 0 || offset % alignment != 0) {
                    throw error("data offset " + Long.toUnsignedString(offset) + " is not a multiple of alignment "
                            + alignment);
                }
                if (infos.put(name, new GgufTensorInfo(name, dims, type, offset, bytes)) != null) {
                    throw error("duplicate tensor name");
                }
            }
            context = "data section";
            long headerEnd = at;
            long dataStart = (at + alignment - 1) / alignment * alignment;
            if (dataStart > size && !infos.isEmpty()) {
                throw error("starts at offset " + dataStart + " past the end of the file (" + size + " bytes)");
            }
            for (GgufTensorInfo t : infos.values()) {
                if (t.offset() > size - dataStart || t.sizeBytes() > size - dataStart - t.offset()) {
                    context = "tensor " + t.name();
                    throw error("data at offset " + (dataStart + t.offset()) + " (+" + t.sizeBytes()
                            + " bytes) runs past the end of the file (" + size + " bytes)");
                }
            }
            checkLayout(infos, headerEnd, dataStart, alignment);
            return new GgufFile(f, version, meta, infos, Math.min(dataStart, size));
        }

        /**
         * Tensor data must not overlap, and every byte of the file must belong to the header
         * or a tensor apart from alignment padding (fewer than {@code alignment} bytes before
         * each tensor and at the end): llama.cpp's and gguf-py's writers produce exactly that,
         * so anything more is a damaged or spliced file whose tensors may be misplaced.
         */
        private void checkLayout(Map<String, GgufTensorInfo> infos, long headerEnd, long dataStart, int alignment) {
            GgufTensorInfo[] byOffset = infos.values().toArray(new GgufTensorInfo[0]);
            java.util.Arrays.sort(byOffset, java.util.Comparator.comparingLong(GgufTensorInfo::offset));
            long end = headerEnd; // absolute end of the header or of the last tensor so far
            String last = "the header";
            for (GgufTensorInfo t : byOffset) {
                long start = dataStart + t.offset();
                if (start < end) {
                    context = "tensor " + t.name();
                    throw error("data at offset " + start + " (+" + t.sizeBytes() + " bytes) overlaps " + last
                            + ", which ends at offset " + end);
                }
                if (start - end >= alignment) {
                    context = "tensor " + t.name();
                    throw error((start - end) + " unused bytes at offset " + end + " before its data at offset "
                            + start + ": only alignment padding (< " + alignment + " bytes) may separate tensors");
                }
                end = start + t.sizeBytes();
                last = "tensor " + t.name();
            }
            if (size - end >= alignment) {
                context = "data section";
                throw error((size - end) + " unused bytes at offset " + end + " after " + last
                        + ", up to the end of the file (" + size + " bytes): only alignment padding (< "
                        + alignment + " bytes) may follow");
            }
        }

        private Object value(GgufValueType type) {
            return switch (type) {
                case UINT8 -> (long) (byte1() & 0xFF);
                case INT8 -> (long) byte1();
                case UINT16 -> (long) (short2() & 0xFFFF);
                case INT16 -> (long) short2();
                case UINT32 -> u32() & 0xFFFFFFFFL;
                case INT32 -> (long) u32();
                case FLOAT32 -> Float.intBitsToFloat(u32());
                case BOOL -> {
                    long boolAt = at;
                    byte b = byte1();
                    if (b != 0 && b != 1) {
                        throw error("bool at offset " + boolAt + " is " + b);
                    }
                    yield b == 1;
                }
                case STRING -> string();
                case UINT64, INT64 -> u64();
                case FLOAT64 -> {
                    need(8);
                    double d = s.get(F64, at);
                    at += 8;
                    yield d;
                }
                case ARRAY -> array();
            };
        }

        private byte byte1() {
            need(1);
            return s.get(ValueLayout.JAVA_BYTE, at++);
        }

        private short short2() {
            need(2);
            short v = s.get(I16, at);
            at += 2;
            return v;
        }

        private Object array() {
            long typeAt = at;
            GgufValueType type = GgufValueType.of(u32() & 0xFFFFFFFFL);
            if (type == null || type == GgufValueType.ARRAY) {
                throw error("unsupported array element type at offset " + typeAt);
            }
            int each = type == GgufValueType.STRING ? 8 : type.sizeBytes();
            long n = count("array length", each);
            if (n > Integer.MAX_VALUE - 8) {
                throw error("array of " + n + " elements is too long");
            }
            int len = (int) n;
            switch (type) {
                case STRING -> {
                    String[] out = new String[len];
                    for (int i = 0; i < len; i++) {
                        out[i] = string();
                    }
                    return out;
                }
                case FLOAT32 -> {
                    float[] out = new float[len];
                    MemorySegment.copy(s, F32, at, out, 0, len);
                    at += 4L * len;
                    return out;
                }
                case FLOAT64 -> {
                    double[] out = new double[len];
                    MemorySegment.copy(s, F64, at, out, 0, len);
                    at += 8L * len;
                    return out;
                }
                case BOOL -> {
                    boolean[] out = new boolean[len];
                    for (int i = 0; i < len; i++) {
                        out[i] = (Boolean) value(type);
                    }
                    return out;
                }
                default -> {
                    long[] out = new long[len];
                    for (int i = 0; i < len; i++) {
                        out[i] = (Long) value(type);
                    }
                    return out;
                }
            }
        }
    }
}
