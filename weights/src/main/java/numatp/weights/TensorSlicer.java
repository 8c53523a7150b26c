package numatp.weights;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Copies slices of tensors into memory from a {@link SliceAllocator}: whole rows keep
 * their encoding (a row of a block type is whole blocks, so any row range is); column
 * ranges keep it when they fall on block boundaries. A column range that cuts a block is
 * dequantised to f32 for the 32-element block types (the kernels accept either), but
 * rejected for the 256-element K-quant super-blocks: there f32 is 7 to 12 times the bytes,
 * and ordinary head splits of real models (head 128 = half a block) would cut them, so the
 * planner must choose block-aligned splits rather than silently multiply the memory. Counts
 * replicated and sharded bytes per node for the placement statistics.
 */
public final class TensorSlicer {
    private final SliceAllocator allocator;
    private final Map<Integer, long[]> bytesByNode = new TreeMap<>(); // node -> {replicated, sharded}

    public TensorSlicer(SliceAllocator allocator) {
        this.allocator = allocator;
    }

    /** A full copy on {@code node} (a replica). */
    public Tensor replicate(Tensor t, int node) {
        MemorySegment dst = allocator.allocate(node, t.data().byteSize());
        dst.copyFrom(t.data());
        count(node, 0, dst.byteSize());
        return new Tensor(t.name(), t.type(), t.rows(), t.cols(), dst);
    }

    /** Rows [from, from + count), copied to {@code node}. */
    public Tensor rows(Tensor t, int from, int count, int node) {
        Tensor view = t.rowSlice(from, count);
        MemorySegment dst = allocator.allocate(node, Math.max(1, view.data().byteSize()))
                .asSlice(0, view.data().byteSize());
        dst.copyFrom(view.data());
        count(node, 1, dst.byteSize());
        return new Tensor(t.name(), t.type(), count, t.cols(), dst);
    }

    /** Several row ranges stacked in order (e.g. the K rows of a shard's KV heads), copied to {@code node}. */
    public Tensor rowRanges(Tensor t, int[] from, int[] count, int node) {
        int total = 0;
        for (int c : count) {
            total += c;
        }
        long rowBytes = t.rowBytes();
        MemorySegment dst = allocator.allocate(node, Math.max(1, total * rowBytes)).asSlice(0, total * rowBytes);
        long at = 0;
        for (int i = 0; i < from.length; i++) {
            MemorySegment src = t.rowSlice(from[i], count[i]).data();
            MemorySegment.copy(src, 0, dst, at, src.byteSize());
            at += src.byteSize();
        }
        count(node, 1, dst.byteSize());
        return new Tensor(t.name(), t.type(), total, t.cols(), dst);
    }

    /** Blocks wider than this are never cut by a column range (see the class comment). */
    static final int MAX_CUTTABLE_BLOCK_ELEMENTS = 32;

    /**
     * Part {@code part} of {@code t}'s columns as {@code split} (over all of them) divides them
     * among shards, copied to {@code node}. Fails, naming the tensor, its width and the shard
     * count, when any part of the split cuts a K-quant super-block; see {@link #columns(Tensor, int, int, int)}.
     */
    public Tensor columns(Tensor t, Split split, int part, int node) {
        if (split.total() != t.cols()) {
            throw new WeightsException("tensor " + t.name() + ": column split " + split + " covers " + split.total()
                    + " columns, the tensor has " + t.cols());
        }
        int block = t.type().blockElements();
        if (block > MAX_CUTTABLE_BLOCK_ELEMENTS) {
            for (int p = 1; p < split.parts(); p++) {
                if (split.start(p) % block != 0) {
                    throw new WeightsException("tensor " + t.name() + ": " + t.type() + " width " + t.cols()
                            + " cannot be split by columns into " + split.parts() + " shards as " + split
                            + ": shard " + p + " starts at column " + split.start(p) + ", inside a " + block
                            + "-element block (column splits of K-quant tensors must fall on block boundaries)");
                }
            }
        }
        return columns(t, split.start(part), split.size(part), node);
    }

    /** Whether some part of {@code split} starts or ends inside one of {@code t}'s blocks. */
    public static boolean cutsBlocks(Tensor t, Split split) {
        int block = t.type().blockElements();
        for (int p = 0; p < split.parts(); p++) {
            if (split.start(p) % block != 0 || split.size(p) % block != 0) {
                return true;
            }
        }
        return false;
    }

    /**
     * Part {@code part} of {@code t}'s columns as {@code split} divides them, dequantised to f32
     * whatever the split (for a caller that has chosen to pay the f32 bytes rather than refuse a
     * split that cuts K-quant blocks, and says so).
     */
    public Tensor columnsF32(Tensor t, Split split, int part, int node) {
        if (split.total() != t.cols()) {
            throw new WeightsException("tensor " + t.name() + ": column split " + split + " covers " + split.total()
                    + " columns, the tensor has " + t.cols());
        }
        return copyColumns(t, split.start(part), split.size(part), node, true);
    }

    /**
     * Columns [from, from + count) of every row, copied to {@code node}: in {@code t}'s encoding
     * when the range falls on block boundaries, as f32 otherwise; a range that cuts a block wider
     * than 32 elements (the K-quants) fails.
     */
    public Tensor columns(Tensor t, int from, int count, int node) {
        if (from < 0 || count < 0 || from + count > t.cols()) {
            throw new WeightsException("tensor " + t.name() + ": columns [" + from + ", " + (from + count)
                    + ") outside [0, " + t.cols() + ")");
        }
        int block = t.type().blockElements();
        boolean aligned = from % block == 0 && count % block == 0;
        if (!aligned && block > MAX_CUTTABLE_BLOCK_ELEMENTS) {
            throw new WeightsException("tensor " + t.name() + ": " + t.type() + " width " + t.cols() + ": columns ["
                    + from + ", " + (from + count) + ") cut its " + block + "-element blocks");
        }
        return copyColumns(t, from, count, node, !aligned);
    }

    /**
     * Column ranges [from[i], from[i] + count[i]) of every row, each as its own contiguous
     * [rows, count[i]] tensor: in {@code t}'s encoding when the range falls on block boundaries,
     * else dequantised to f32 (so a range's encoding depends only on the range). Ranges may
     * overlap. All share one allocation on {@code node}, range after range. For the exact
     * reduction, which sums each range's dot products separately (numatp.models.tp.Reduction).
     */
    public Tensor[] columnRanges(Tensor t, int[] from, int[] count, int node) {
        int block = t.type().blockElements();
        long[] offsets = new long[from.length + 1];
        for (int i = 0; i < from.length; i++) {
            if (from[i] < 0 || count[i] < 0 || from[i] + count[i] > t.cols()) {
                throw new WeightsException("tensor " + t.name() + ": columns [" + from[i] + ", " + (from[i] + count[i])
                        + ") outside [0, " + t.cols() + ")");
            }
            boolean aligned = from[i] % block == 0 && count[i] % block == 0;
            offsets[i + 1] = offsets[i] + (aligned ? t.type() : TensorType.F32).bytesFor(count[i]) * t.rows();
        }
        long bytes = offsets[from.length];
        MemorySegment dst = allocator.allocate(node, Math.max(1, bytes)).asSlice(0, bytes);
        Tensor[] out = new Tensor[from.length];
        long srcRowBytes = t.rowBytes();
        for (int i = 0; i < from.length; i++) {
            boolean aligned = from[i] % block == 0 && count[i] % block == 0;
            TensorType type = aligned ? t.type() : TensorType.F32;
            long rowBytes = type.bytesFor(count[i]);
            MemorySegment piece = dst.asSlice(offsets[i], offsets[i + 1] - offsets[i]);
            for (int r = 0; r < t.rows(); r++) {
                if (aligned) {
                    MemorySegment.copy(t.data(), r * srcRowBytes + t.type().bytesFor(from[i]), piece,
                            r * rowBytes, rowBytes);
                } else {
                    for (int c = 0; c < count[i]; c++) {
                        piece.set(Dequant.F32, r * rowBytes + 4L * c, t.get(r, from[i] + c));
                    }
                }
            }
            out[i] = new Tensor(t.name(), type, t.rows(), count[i], piece);
        }
        count(node, 1, bytes);
        return out;
    }

    private Tensor copyColumns(Tensor t, int from, int count, int node, boolean toF32) {
        if (from < 0 || count < 0 || from + count > t.cols()) {
            throw new WeightsException("tensor " + t.name() + ": columns [" + from + ", " + (from + count)
                    + ") outside [0, " + t.cols() + ")");
        }
        boolean aligned = !toF32;
        TensorType type = aligned ? t.type() : TensorType.F32;
        long rowBytes = type.bytesFor(count);
        long bytes = rowBytes * t.rows();
        MemorySegment dst = allocator.allocate(node, Math.max(1, bytes)).asSlice(0, bytes);
        long srcRowBytes = t.rowBytes();
        for (int r = 0; r < t.rows(); r++) {
            if (aligned) {
                MemorySegment.copy(t.data(), r * srcRowBytes + t.type().bytesFor(from), dst, r * rowBytes, rowBytes);
            } else {
                for (int c = 0; c < count; c++) {
                    dst.set(Dequant.F32, r * rowBytes + 4L * c, t.get(r, from + c));
                }
            }
        }
        count(node, 1, bytes);
        return new Tensor(t.name(), type, t.rows(), count, dst);
    }

    private void count(int node, int kind, long bytes) {
        bytesByNode.computeIfAbsent(node, k -> new long[2])[kind] += bytes;
    }

    public SliceAllocator allocator() {
        return allocator;
    }

    public long replicatedBytes() {
        return bytesByNode.values().stream().mapToLong(b -> b[0]).sum();
    }

    public long shardedBytes() {
        return bytesByNode.values().stream().mapToLong(b -> b[1]).sum();
    }

    /** Replicated bytes copied to {@code node}. */
    public long replicatedBytes(int node) {
        long[] b = bytesByNode.get(node);
        return b == null ? 0 : b[0];
    }

    /** Sharded bytes copied to {@code node}. */
    public long shardedBytes(int node) {
        long[] b = bytesByNode.get(node);
        return b == null ? 0 : b[1];
    }

    /** Nodes that received slices, ascending. */
    public List<Integer> nodes() {
        return List.copyOf(bytesByNode.keySet());
    }
}
