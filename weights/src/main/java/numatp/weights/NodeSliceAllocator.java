package numatp.weights;

import numatp.topology.memory.NodeAllocation;
import numatp.topology.memory.NodeMemory;
import numatp.topology.memory.NodeMemoryOptions;
import numatp.topology.memory.Placement;
import numatp.topology.memory.PlacementPolicy;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Slices in memory from {@link NodeMemory}: each request is placed on its node with
 * NodeMemory's fallback chain (bind, preferred, interleave, plain). Small slices are carved,
 * 64-byte aligned, out of per-node chunks of {@code chunkBytes}, so a model's many small
 * tensors cost a few mappings, not one each; a slice larger than half a chunk gets its own
 * allocation. Every allocation's {@link Placement} (what was obtained, fallbacks, sampled
 * residency) is kept, so {@link #fractionOnNode} can say where a slice's bytes really are.
 * Closing frees every allocation. Thread-safe; used at load time.
 */
public final class NodeSliceAllocator implements SliceAllocator, AutoCloseable {
    /** Default chunk for small slices: big enough for many norms and heads, small enough to waste little. */
    public static final long DEFAULT_CHUNK_BYTES = 8L << 20;
    private static final long ALIGN = 64;

    private final NodeMemory memory;
    private final NodeMemoryOptions options;
    private final long chunkBytes;
    private final Map<Integer, Chunk> open = new HashMap<>(); // node -> chunk being carved
    private final List<Chunk> chunks = new ArrayList<>();

    /** One allocation from NodeMemory and how much of it slices use. */
    private static final class Chunk {
        final int node;
        final NodeAllocation allocation;
        final long start; // address of the segment
        final long size;
        long used; // bytes carved, aligned
        long sliceBytes; // bytes handed out, unaligned

        Chunk(int node, NodeAllocation allocation) {
            this.node = node;
            this.allocation = allocation;
            this.start = allocation.segment().address();
            this.size = allocation.segment().byteSize();
        }
    }

    public NodeSliceAllocator(NodeMemory memory, NodeMemoryOptions options, long chunkBytes) {
        if (chunkBytes < 4096) {
            throw new WeightsException("slice chunk must be at least 4096 bytes: " + chunkBytes);
        }
        this.memory = memory;
        this.options = options;
        this.chunkBytes = chunkBytes;
    }

    /** The system's node memory, strict binding with fallback, first touch, default chunks. */
    public static NodeSliceAllocator system() {
        return new NodeSliceAllocator(NodeMemory.system(), NodeMemoryOptions.defaults(), DEFAULT_CHUNK_BYTES);
    }

    @Override
    public synchronized MemorySegment allocate(int node, long bytes) {
        if (bytes <= 0) {
            throw new WeightsException("slice size must be positive: " + bytes + " bytes for node " + node);
        }
        long aligned = (bytes + ALIGN - 1) & -ALIGN;
        if (aligned > chunkBytes / 2) {
            Chunk c = newChunk(node, bytes);
            c.used = c.size;
            c.sliceBytes = bytes;
            return c.allocation.segment().asSlice(0, bytes);
        }
        Chunk c = open.get(node);
        if (c == null || c.size - c.used < aligned) {
            c = newChunk(node, chunkBytes);
            open.put(node, c);
        }
        MemorySegment s = c.allocation.segment().asSlice(c.used, bytes);
        c.used += aligned;
        c.sliceBytes += bytes;
        return s;
    }

    private Chunk newChunk(int node, long bytes) {
        Chunk c = new Chunk(node, memory.allocate(bytes, node, options));
        chunks.add(c);
        return c;
    }

    /**
     * Share of {@code segment}'s bytes on {@code node}: the sampled residency of the allocation
     * it was carved from, 1 for strict binding when nothing could be sampled, NaN when unknown
     * (or not from this allocator).
     */
    @Override
    public synchronized double fractionOnNode(MemorySegment segment, int node) {
        long address = segment.address();
        for (Chunk c : chunks) {
            if (address >= c.start && address < c.start + c.size) {
                return fraction(c.allocation.placement(), node);
            }
        }
        return Double.NaN;
    }

    static double fraction(Placement p, int node) {
        if (p.residency() != null && p.residency().residentPages() > 0) {
            return p.residency().percentOn(node) / 100.0;
        }
        if (p.policyUsed() == PlacementPolicy.BIND && p.policyNodes().contains(node)) {
            return 1.0;
        }
        return Double.NaN;
    }

    /** Every placement obtained, in allocation order. */
    public synchronized List<Placement> placements() {
        List<Placement> out = new ArrayList<>();
        for (Chunk c : chunks) {
            out.add(c.allocation.placement());
        }
        return out;
    }

    /** Bytes handed out per requested node (sorted by node). */
    public synchronized Map<Integer, Long> sliceBytesByNode() {
        Map<Integer, Long> out = new TreeMap<>();
        for (Chunk c : chunks) {
            out.merge(c.node, c.sliceBytes, Long::sum);
        }
        return out;
    }

    /** Bytes mapped from NodeMemory (chunks included whole). */
    public synchronized long mappedBytes() {
        long total = 0;
        for (Chunk c : chunks) {
            total += c.allocation.placement().mappedBytes();
        }
        return total;
    }

    @Override
    public synchronized String description() {
        Set<String> policies = new LinkedHashSet<>();
        for (Chunk c : chunks) {
            Placement p = c.allocation.placement();
            policies.add(p.policyUsed().label() + (p.fellBack() && p.policyUsed() != p.requestedPolicy()
                    ? " (asked " + p.requestedPolicy().label() + ")" : ""));
        }
        return "node memory, " + (policies.isEmpty() ? options.policy().label() : String.join(", ", policies));
    }

    @Override
    public synchronized void close() {
        for (Chunk c : chunks) {
            c.allocation.close();
        }
        chunks.clear();
        open.clear();
    }
}
