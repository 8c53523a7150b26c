package numatp.models.tp;

import numatp.collectives.CollectiveException;
import numatp.collectives.Communicator;
import numatp.collectives.ElementType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

/**
 * A simple in-process {@link Communicator} group for threads: each rank publishes its
 * buffer, every rank sums all buffers in rank order (so results are bitwise identical
 * on every rank), then a second barrier lets ranks overwrite their own buffer.
 * Stand-in until the collectives module's shared-memory communicators are merged:
 * swap by passing those to {@link TpEngine}. All ranks are on node 0.
 *
 * <p>The barrier is a per-rank arrival counter (monotonic, one writer each, 128 bytes
 * apart); a rank waits until every counter reached its own, spinning, then yielding,
 * then parking briefly, and fails naming the missing ranks after the timeout.
 */
public final class LocalCommunicators {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int STRIDE = 16; // longs: 128 bytes between counters
    public static final long DEFAULT_TIMEOUT_NS = 120_000_000_000L;

    private LocalCommunicators() {
    }

    public static Communicator[] create(int size) {
        return create(size, DEFAULT_TIMEOUT_NS);
    }

    public static Communicator[] create(int size, long timeoutNs) {
        if (size <= 0) {
            throw new CollectiveException("communicator size must be positive: " + size);
        }
        Group g = new Group(size, timeoutNs);
        Communicator[] ranks = new Communicator[size];
        for (int r = 0; r < size; r++) {
            ranks[r] = new Rank(g, r);
        }
        return ranks;
    }

    private static final class Group {
        final int size;
        final long timeoutNs;
        final MemorySegment[] slots; // [size] each rank's buffer for the current op; written before arriving
        final AtomicLongArray arrivals; // [size * STRIDE], rank r's barrier count at r * STRIDE; written by r only
        volatile String abortReason;

        Group(int size, long timeoutNs) {
            this.size = size;
            this.timeoutNs = timeoutNs;
            this.slots = new MemorySegment[size];
            this.arrivals = new AtomicLongArray(size * STRIDE);
        }
    }

    private static final class Rank implements Communicator {
        private final Group g;
        private final int rank;
        private long phase;
        private float[] scratch = new float[0];
        private boolean closed;

        Rank(Group g, int rank) {
            this.g = g;
            this.rank = rank;
        }

        @Override
        public int rank() {
            return rank;
        }

        @Override
        public int size() {
            return g.size;
        }

        @Override
        public int nodeOfRank(int r) {
            return 0;
        }

        private void await(String op) {
            phase++;
            // Release: publishes this rank's slot (and, for the second barrier, that it finished reading peers).
            g.arrivals.setRelease(rank * STRIDE, phase);
            long start = 0;
            int spins = 0;
            for (int r = 0; r < g.size; r++) {
                // Acquire: makes peer r's slot and buffer contents visible.
                while (g.arrivals.getAcquire(r * STRIDE) < phase) {
                    String reason = g.abortReason;
                    if (reason != null) {
                        throw new CollectiveException("communicator aborted: " + reason);
                    }
                    spins++;
                    if (spins < 200) {
                        Thread.onSpinWait();
                    } else if (spins < 20_000) {
                        Thread.yield();
                    } else {
                        if (start == 0) {
                            start = System.nanoTime();
                        } else if (System.nanoTime() - start > g.timeoutNs) {
                            String reasonNow = op + ": rank " + rank + " waited " + g.timeoutNs / 1_000_000
                                    + " ms for rank " + r + " (phase " + phase + ")";
                            abort(reasonNow);
                            throw new CollectiveException(reasonNow);
                        }
                        LockSupport.parkNanos(20_000);
                    }
                }
            }
        }

        @Override
        public void allReduce(MemorySegment buffer, long count, ElementType type) {
            if (g.size == 1) {
                return;
            }
            int n = Math.toIntExact(count);
            if (scratch.length < n) {
                scratch = new float[n];
            }
            g.slots[rank] = buffer;
            await("allReduce");
            final float[] acc = scratch;
            for (int r = 0; r < g.size; r++) {
                MemorySegment src = g.slots[r];
                for (int i = 0; i < n; i++) {
                    float v = load(src, i, type);
                    acc[i] = r == 0 ? v : acc[i] + v;
                }
            }
            await("allReduce");
            for (int i = 0; i < n; i++) {
                store(buffer, i, type, acc[i]);
            }
        }

        private static float load(MemorySegment s, long i, ElementType type) {
            return switch (type) {
                case F32 -> s.getAtIndex(F32, i);
                case F16 -> Float.float16ToFloat(s.getAtIndex(I16, i));
                case BF16 -> Float.intBitsToFloat((s.getAtIndex(I16, i) & 0xFFFF) << 16);
            };
        }

        private static void store(MemorySegment s, long i, ElementType type, float v) {
            switch (type) {
                case F32 -> s.setAtIndex(F32, i, v);
                case F16 -> s.setAtIndex(I16, i, Float.floatToFloat16(v));
                case BF16 -> {
                    int bits = Float.floatToRawIntBits(v);
                    int rounded = bits + 0x7FFF + ((bits >>> 16) & 1); // round to nearest even
                    s.setAtIndex(I16, i, (short) (rounded >>> 16));
                }
            }
        }

        @Override
        public void allGather(MemorySegment send, MemorySegment receive, long countPerRank, ElementType type) {
            long bytes = countPerRank * type.sizeBytes();
            if (g.size == 1) {
                MemorySegment.copy(send, 0, receive, 0, bytes);
                return;
            }
            g.slots[rank] = send;
            await("allGather");
            for (int r = 0; r < g.size; r++) {
                MemorySegment.copy(g.slots[r], 0, receive, r * bytes, bytes);
            }
            await("allGather");
        }

        @Override
        public void barrier() {
            await("barrier");
        }

        @Override
        public void abort(String reason) {
            if (g.abortReason == null) {
                g.abortReason = reason;
            }
        }

        @Override
        public void close() {
            closed = true;
        }

        @Override
        public String toString() {
            return "LocalCommunicator[rank " + rank + "/" + g.size + (closed ? ", closed" : "") + "]";
        }
    }
}
