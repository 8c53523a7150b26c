package numatp.collectives.shm;

import numatp.collectives.ElementType;
import numatp.collectives.reduce.Reductions;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Hierarchical allreduce, three epochs per chunk:
 * <ol>
 *   <li>reduce-scatter inside each node: the chunk is cut into K slices (K = most ranks on any
 *       node); local rank i owns slices {@code j} with {@code j mod L == i} (L = ranks on its
 *       node) and sums slice j over its node's ranks, ascending rank, into f32;</li>
 *   <li>slice exchange across nodes: each owner reads slice j's node partial from the owner of
 *       slice j on every node, ascending node id, and sums them: the inter-node link carries each
 *       node partial once per remote node and every rank works (no single leader);</li>
 *   <li>allgather inside each node: every rank copies the final slices from its node's owners.</li>
 * </ol>
 * Inside a node, ranks read their peers' slots directly instead of passing slices around a
 * ring: on shared memory a ring moves the same bytes with L-1 times more synchronisation. With
 * one node the exchange epoch is skipped (two epochs per chunk, the classic two-shot).
 * Result: {@code sum over nodes ascending of (sum over the node's ranks ascending)}.
 *
 * <p>Zero-copy input: when peers can read the caller's buffer (thread transport: it is not
 * confined to one thread; process transport: it lies in the rank's buffer area of the shared
 * file, {@link ShmCommunicator#allocateBuffer}), they read step 1's inputs straight from it
 * instead of from a copy in the rank's slot, saving a read and a write of the whole message.
 * The buffer is overwritten only in step 3, after every local rank has published the epoch that
 * ends its step-1 reads. Threads publish the buffer itself ({@link SharedGroup#directInputs}),
 * processes its offset in their area ({@link RankLayout#IN_PLACE}).
 *
 * <p>Direct in place (thread transport, one node, every rank's buffer shareable): after one
 * epoch that publishes the buffers, each rank sums its slice of every buffer and writes the sum
 * straight into that slice of every buffer, then one more epoch says the buffers are complete.
 * No slots and no chunking: each rank reads its share of the inputs once and writes its share of
 * the outputs once (the memory-traffic bound), where the slot path also writes and re-reads the
 * partials. Same order (ranks ascending), so the same bits. Not for processes: writing into the
 * peers' buffers across processes measured 14-34 ms for 1 MiB on 2 ranks (two JVMs on the 2-core
 * dev machine) where the same ranks as threads mapping the file took 86 us and zero-copy input
 * 169 us; the cause was not found.
 */
final class HierarchicalAllReduce {
    /** A thread no segment is confined to: {@code isAccessibleBy(PROBE)} is true only for shareable buffers. */
    private static final Thread PROBE = Thread.ofPlatform().unstarted(() -> { });
    private final ShmCommunicator c;
    /** Ranks of this rank's node, ascending. */
    private final int[] locals;
    /** ownerByNode[m][j]: the rank owning slice j on the m-th node (nodes ascending). */
    private final int[][] ownerByNode;
    private final int slices;
    private final int[] owned;
    private final int[] peers;
    /** Per rank, where this call reads its buffer in place (null: from its slots), from {@link #locateInputs}. */
    private final MemorySegment[] inputs;
    private final long[] inputOffsets;

    HierarchicalAllReduce(ShmCommunicator c) {
        this.c = c;
        this.inputs = new MemorySegment[c.size];
        this.inputOffsets = new long[c.size];
        TreeMap<Integer, List<Integer>> byNode = new TreeMap<>();
        for (int r = 0; r < c.size; r++) {
            byNode.computeIfAbsent(c.nodeOfRank[r], n -> new ArrayList<>()).add(r);
        }
        int k = 0;
        for (List<Integer> ranks : byNode.values()) {
            k = Math.max(k, ranks.size());
        }
        this.slices = k;
        this.ownerByNode = new int[byNode.size()][k];
        int m = 0;
        for (List<Integer> ranks : byNode.values()) {
            for (int j = 0; j < k; j++) {
                ownerByNode[m][j] = ranks.get(j % ranks.size());
            }
            m++;
        }
        List<Integer> mine = byNode.get(c.nodeOfRank[c.rank]);
        this.locals = mine.stream().mapToInt(Integer::intValue).toArray();
        int localIndex = mine.indexOf(c.rank);
        this.owned = java.util.stream.IntStream.range(0, k).filter(j -> j % locals.length == localIndex).toArray();
        TreeSet<Integer> waitFor = new TreeSet<>(mine);
        for (int[] owners : ownerByNode) {
            for (int j : owned) {
                waitFor.add(owners[j]);
            }
        }
        waitFor.remove(c.rank);
        this.peers = waitFor.stream().mapToInt(Integer::intValue).toArray();
    }

    void run(MemorySegment buffer, long count, ElementType type) {
        final EpochSync sync = c.sync;
        if (c.size == 1) {
            sync.publish();
            sync.await(peers);
            return;
        }
        final MemorySegment own = c.regions[c.rank];
        final MemorySegment[] regions = c.regions;
        final MemorySegment[] sources = c.sources;
        final long[] offsets = c.sourceOffsets;
        final int es = type.sizeBytes();
        final int k = slices;
        final int nodes = ownerByNode.length;
        final long chunk = c.slotBytes / 4;
        final MemorySegment[] direct = c.sync.group.directInputs;
        final boolean processInPlace = c.processInPlace;
        final long callIndex = sync.callIndex;
        final boolean zeroCopy;
        if (processInPlace) {
            long offset = c.inPlaceOffset(buffer, count * es);
            zeroCopy = offset >= 0;
            // Published by the first epoch's release, on the line of SEQ.
            own.set(ValueLayout.JAVA_LONG, RankLayout.inPlace(callIndex), offset);
        } else {
            zeroCopy = direct != null && buffer.isAccessibleBy(PROBE);
        }
        if (direct != null && direct[c.rank] != (zeroCopy ? buffer : null)) {
            // Published by the first epoch's release. Stored only on change: the array's line is
            // shared by every rank, and a store per call made peers miss on it after each wait.
            direct[c.rank] = zeroCopy ? buffer : null;
        }
        if (direct != null && nodes == 1) {
            sync.publish();
            sync.await(peers);
            // Every rank sees the same entries after this epoch, so all take the same branch.
            if (locateInputs(direct, callIndex)) {
                pushInPlace(count, type);
                sync.publish();
                sync.await(peers); // every slice of this rank's buffer is final once all have published
                return;
            }
            // A buffer outside somewhere: the slot path below, the epoch above served as a barrier.
        }
        long done = 0;
        do {
            final long n = Math.min(chunk, count - done);
            final long inputSlot = sync.nextSlot();
            if (!zeroCopy) {
                MemorySegment.copy(buffer, done * es, own, inputSlot, n * es);
            }
            sync.publish();
            sync.await(peers);
            if (done == 0 && (direct != null || processInPlace)) {
                locateInputs(direct, callIndex);
            }

            final long partialSlot = sync.nextSlot();
            for (int j : owned) {
                long lo = RingAllReduce.lo(j, n, k);
                long len = RingAllReduce.hi(j, n, k) - lo;
                for (int i = 0; i < locals.length; i++) {
                    int r = locals[i];
                    MemorySegment input = inputs[r];
                    if (input != null) {
                        sources[i] = input;
                        offsets[i] = inputOffsets[r] + (done + lo) * es;
                    } else {
                        sources[i] = regions[r];
                        offsets[i] = inputSlot + lo * es;
                    }
                    c.countRead(r, len * es);
                }
                Reductions.sum(type, sources, offsets, locals.length, ElementType.F32, own, partialSlot + lo * 4, len);
            }
            sync.publish();
            sync.await(peers);

            long finalSlot = partialSlot;
            if (nodes > 1) {
                finalSlot = sync.nextSlot();
                for (int j : owned) {
                    long lo = RingAllReduce.lo(j, n, k);
                    long len = RingAllReduce.hi(j, n, k) - lo;
                    for (int m = 0; m < nodes; m++) {
                        int owner = ownerByNode[m][j];
                        sources[m] = regions[owner];
                        offsets[m] = partialSlot + lo * 4;
                        c.countRead(owner, len * 4);
                    }
                    Reductions.sum(ElementType.F32, sources, offsets, nodes, ElementType.F32, own, finalSlot + lo * 4, len);
                }
                sync.publish();
                sync.await(peers);
            }

            for (int j = 0; j < k; j++) {
                long lo = RingAllReduce.lo(j, n, k);
                long len = RingAllReduce.hi(j, n, k) - lo;
                int owner = locals[j % locals.length];
                Reductions.convert(ElementType.F32, regions[owner], finalSlot + lo * 4, type, buffer, (done + lo) * es, len);
                c.countRead(owner, len * 4);
            }
            done += n;
        } while (done < count);
    }

    /**
     * After a call's first epoch: where each local rank's buffer can be read in place, into
     * {@link #inputs} (null: from its slots). Returns whether every local rank's can.
     */
    private boolean locateInputs(MemorySegment[] direct, long callIndex) {
        boolean all = true;
        for (int r : locals) {
            if (direct != null) {
                inputs[r] = direct[r];
                inputOffsets[r] = 0;
            } else {
                long offset = c.regions[r].get(ValueLayout.JAVA_LONG, RankLayout.inPlace(callIndex));
                inputs[r] = offset >= 0 ? c.regions[r] : null;
                inputOffsets[r] = c.bufferBase + offset;
            }
            all &= inputs[r] != null;
        }
        return all;
    }

    /** Sums this rank's slice over every rank's buffer and writes it into that slice of every buffer. */
    private void pushInPlace(long count, ElementType type) {
        final int p = inputs.length;
        final int es = type.sizeBytes();
        final MemorySegment[] sources = c.sources;
        final long[] offsets = c.sourceOffsets;
        for (int j : owned) {
            long lo = lineLo(j, count, slices, es);
            long len = lineLo(j + 1, count, slices, es) - lo;
            if (len == 0) {
                continue;
            }
            for (int r = 0; r < p; r++) {
                sources[r] = inputs[r];
                offsets[r] = inputOffsets[r] + lo * es;
                c.countRead(r, len * es);
            }
            Reductions.sumToAll(type, sources, offsets, p, sources, offsets, p, len, c.scratch);
        }
    }

    /** Start of slice {@code j} of {@code k}, rounded down to a 64-byte line so no two writers share a line. */
    static long lineLo(int j, long count, int k, int elementBytes) {
        if (j >= k) {
            return count;
        }
        long perLine = 64 / elementBytes;
        return Math.min(count, j * count / k / perLine * perLine);
    }

    @Override
    public String toString() {
        return "hierarchical(slices=" + slices + ", owned=" + Arrays.toString(owned) + ", peers=" + Arrays.toString(peers) + ")";
    }
}
