package numatp.weights;

import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.List;
import java.util.TreeMap;

/**
 * Copies slices of tensors into memory from a {@link SliceAllocator}: whole rows
 * keep their encoding; column ranges keep it when they fall on block boundaries and
 * are dequantised to f32 otherwise (the kernels accept either). Counts replicated and
 * sharded bytes per node for the placement statistics.
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

    /** Columns [from, from + count) of every row, copied to {@code node}. */
    public Tensor columns(Tensor t, int from, int count, int node) {
        if (from < 0 || count < 0 || from + count > t.cols()) {
            throw new WeightsException("tensor " + t.name() + ": columns [" + from + ", " + (from + count)
                    + ") outside [0, " + t.cols() + ")");
        }
        int block = t.type().blockElements();
        boolean aligned = from % block == 0 && count % block == 0;
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
