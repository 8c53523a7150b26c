package numatp.models.tp;

import numatp.collectives.CollectiveException;
import numatp.collectives.Communicator;
import numatp.collectives.ElementType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LocalCommunicatorsTest {
    @Test
    @Timeout(60)
    void allReduceEqualsRankOrderSumBitwiseOnEveryRank() throws Exception {
        long seed = new SplittableRandom().nextLong();
        System.out.println("LocalCommunicatorsTest seed=" + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int size : new int[] {1, 2, 3, 8}) {
            for (int count : new int[] {0, 1, 7, 1000}) {
                float[][] in = new float[size][count];
                float[] expected = new float[count];
                for (int r = 0; r < size; r++) {
                    for (int i = 0; i < count; i++) {
                        in[r][i] = (float) rnd.nextDouble(-1e3, 1e3);
                        expected[i] = r == 0 ? in[r][i] : expected[i] + in[r][i];
                    }
                }
                Communicator[] comms = LocalCommunicators.create(size);
                float[][] out = new float[size][];
                run(comms, (c, arena) -> {
                    MemorySegment buf = arena.allocate(4L * Math.max(1, count));
                    MemorySegment.copy(in[c.rank()], 0, buf, ValueLayout.JAVA_FLOAT, 0, count);
                    c.allReduce(buf, count, ElementType.F32);
                    out[c.rank()] = buf.asSlice(0, 4L * count).toArray(ValueLayout.JAVA_FLOAT);
                });
                for (int r = 0; r < size; r++) {
                    for (int i = 0; i < count; i++) {
                        assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(out[r][i]),
                                "size " + size + " count " + count + " rank " + r + " i " + i + " seed " + seed);
                    }
                }
            }
        }
    }

    @Test
    @Timeout(60)
    void allGatherPlacesRankBlocksInOrder() throws Exception {
        int size = 3;
        Communicator[] comms = LocalCommunicators.create(size);
        float[][] out = new float[size][];
        run(comms, (c, arena) -> {
            MemorySegment send = arena.allocate(8);
            send.setAtIndex(ValueLayout.JAVA_FLOAT, 0, c.rank());
            send.setAtIndex(ValueLayout.JAVA_FLOAT, 1, 10 + c.rank());
            MemorySegment recv = arena.allocate(8L * size);
            c.allGather(send, recv, 2, ElementType.F32);
            out[c.rank()] = recv.toArray(ValueLayout.JAVA_FLOAT);
        });
        for (int r = 0; r < size; r++) {
            assertEquals("[0.0, 10.0, 1.0, 11.0, 2.0, 12.0]", java.util.Arrays.toString(out[r]));
        }
    }

    @Test
    @Timeout(30)
    void missingRankTimesOutNamingIt() {
        Communicator[] comms = LocalCommunicators.create(2, 50_000_000L);
        CollectiveException e = assertThrows(CollectiveException.class, comms[0]::barrier);
        assertTrue(e.getMessage().contains("for rank 1"), e.getMessage());
    }

    @Test
    @Timeout(30)
    void abortReleasesWaiters() throws Exception {
        Communicator[] comms = LocalCommunicators.create(2);
        AtomicReference<Throwable> seen = new AtomicReference<>();
        Thread t = Thread.ofPlatform().start(() -> {
            try {
                comms[0].barrier();
            } catch (Throwable x) {
                seen.set(x);
            }
        });
        comms[1].abort("test abort");
        t.join();
        assertTrue(seen.get() instanceof CollectiveException && seen.get().getMessage().contains("test abort"),
                String.valueOf(seen.get()));
    }

    interface RankBody {
        void run(Communicator c, Arena arena) throws Exception;
    }

    static void run(Communicator[] comms, RankBody body) throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread[] threads = new Thread[comms.length];
        for (int r = 0; r < comms.length; r++) {
            Communicator c = comms[r];
            threads[r] = Thread.ofPlatform().start(() -> {
                try (Arena arena = Arena.ofShared()) {
                    body.run(c, arena);
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                    c.abort(t.toString());
                }
            });
        }
        for (Thread t : threads) {
            t.join();
        }
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
    }
}
