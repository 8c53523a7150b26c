package numatp.collectives.shm;

import numatp.collectives.ElementType;
import numatp.collectives.reduce.Reductions;

import java.lang.foreign.MemorySegment;

/**
 * Flat ring allreduce: reduce-scatter then allgather, P-1 steps each, one slice per epoch,
 * waiting only on the two neighbours. Slice j is summed in ring order starting at rank j:
 * {@code ((x[j] + x[j+1]) + ...) + x[j-1]} (indices mod P), in f32.
 */
final class RingAllReduce {
    private final ShmCommunicator c;
    private final int prev;
    private final int[] neighbours;

    RingAllReduce(ShmCommunicator c) {
        this.c = c;
        int p = c.size;
        this.prev = (c.rank - 1 + p) % p;
        int next = (c.rank + 1) % p;
        this.neighbours = p == 1 ? new int[0] : prev == next ? new int[] {prev} : new int[] {prev, next};
    }

    void run(MemorySegment buffer, long count, ElementType type) {
        final EpochSync sync = c.sync;
        final int p = c.size;
        final int r = c.rank;
        if (p == 1) {
            sync.publish();
            sync.await(neighbours);
            return;
        }
        final MemorySegment own = c.regions[r];
        final MemorySegment upstream = c.regions[prev];
        final int es = type.sizeBytes();
        final long chunk = p * (c.slotBytes / 4);
        long done = 0;
        do {
            final long n = Math.min(chunk, count - done);
            // Reduce-scatter step 0: my slot holds my slice r in f32.
            long lo = lo(r, n, p);
            Reductions.convert(type, buffer, (done + lo) * es, ElementType.F32, own, sync.nextSlot(), hi(r, n, p) - lo);
            sync.publish();
            sync.await(neighbours);
            for (int t = 1; t < p; t++) {
                int j = Math.floorMod(r - t, p);
                lo = lo(j, n, p);
                long len = hi(j, n, p) - lo;
                // Upstream's slot for the current sequence holds its partial of slice j.
                Reductions.add(upstream, sync.slot(), type, buffer, (done + lo) * es, own, sync.nextSlot(), len);
                c.countRead(prev, len * 4);
                sync.publish();
                sync.await(neighbours);
            }
            // My slot now holds the final slice r+1; then forward finals around the ring.
            int j = (r + 1) % p;
            lo = lo(j, n, p);
            Reductions.convert(ElementType.F32, own, sync.slot(), type, buffer, (done + lo) * es, hi(j, n, p) - lo);
            for (int u = 1; u < p; u++) {
                j = Math.floorMod(r + 1 - u, p);
                lo = lo(j, n, p);
                long len = hi(j, n, p) - lo;
                long slot = sync.slot();
                Reductions.convert(ElementType.F32, upstream, slot, type, buffer, (done + lo) * es, len);
                c.countRead(prev, len * 4);
                if (u < p - 1) {
                    MemorySegment.copy(upstream, slot, own, sync.nextSlot(), len * 4);
                    sync.publish();
                    sync.await(neighbours);
                }
            }
            done += n;
        } while (done < count);
    }

    static long lo(int slice, long n, int slices) {
        return slice * n / slices;
    }

    static long hi(int slice, long n, int slices) {
        return (slice + 1) * n / slices;
    }
}
