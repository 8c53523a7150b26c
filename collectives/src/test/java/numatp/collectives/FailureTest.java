package numatp.collectives;

import numatp.collectives.shm.ThreadTransport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FailureTest {
    private static final CommunicatorConfig FAST_TIMEOUT = CommunicatorConfig.defaults()
            .withSlotBytes(4096).withTimeoutNs(1_000_000_000L);

    @Test
    @Timeout(20)
    void aRankThatNeverArrivesIsNamedInEveryOthersTimeoutError() throws Exception {
        for (Algorithm algorithm : List.of(Algorithm.ONESHOT, Algorithm.RING, Algorithm.HIERARCHICAL)) {
            List<Communicator> group = ThreadTransport.create(new int[] {0, 0, 1, 1}, FAST_TIMEOUT.withAlgorithm(algorithm));
            try (Arena arena = Arena.ofShared()) {
                List<Throwable> failures = RankThreads.runAll(group, c -> {
                    MemorySegment buffer = arena.allocate(4000 * 4L);
                    c.allReduce(buffer, 4000, ElementType.F32);
                    if (c.rank() != 2) {
                        c.allReduce(buffer, 4000, ElementType.F32); // rank 2 stops after the first call
                    }
                });
                assertNull(failures.get(2));
                for (int r : new int[] {0, 1, 3}) {
                    Throwable t = failures.get(r);
                    assertInstanceOf(CollectiveException.class, t, algorithm + " rank " + r);
                    assertTrue(t.getMessage().contains("allReduce") && t.getMessage().contains("missing ranks: [2 "),
                            algorithm + " rank " + r + ": " + t.getMessage());
                }
            } finally {
                group.forEach(Communicator::close);
            }
        }
    }

    @Test
    @Timeout(20)
    void abortReleasesWaitersAndTheGroupStaysAbortedButANewGroupWorks() throws Exception {
        List<Communicator> group = ThreadTransport.create(new int[] {0, 0, 0},
                FAST_TIMEOUT.withTimeoutNs(60_000_000_000L));
        CountDownLatch waiting = new CountDownLatch(2);
        List<Throwable> failures = RankThreads.runAll(group, c -> {
            if (c.rank() == 0) {
                waiting.await();
                c.abort("shutting down");
            } else {
                waiting.countDown();
                c.barrier(); // rank 0 never enters: only abort can release this
            }
        });
        for (int r : new int[] {1, 2}) {
            assertInstanceOf(CollectiveException.class, failures.get(r));
            assertEquals("communicator aborted by rank 0: shutting down", failures.get(r).getMessage());
        }
        CollectiveException later = assertThrows(CollectiveException.class, () -> group.get(0).barrier());
        assertTrue(later.getMessage().contains("shutting down"), later.getMessage());
        group.forEach(Communicator::close);

        List<Communicator> fresh = ThreadTransport.create(new int[] {0, 0, 0}, FAST_TIMEOUT);
        RankThreads.run(fresh, "fresh group after abort", Communicator::barrier);
        fresh.forEach(Communicator::close);
    }

    @Test
    @Timeout(20)
    void mismatchedCountsFailEveryRankWithBothCalls() throws Exception {
        List<Communicator> group = ThreadTransport.create(new int[] {0, 0, 0, 0},
                FAST_TIMEOUT.withTimeoutNs(10_000_000_000L).withAlgorithm(Algorithm.ONESHOT));
        try (Arena arena = Arena.ofShared()) {
            List<Throwable> failures = RankThreads.runAll(group, c -> {
                MemorySegment buffer = arena.allocate(64 * 4L);
                c.allReduce(buffer, c.rank() == 3 ? 63 : 64, ElementType.F32);
            });
            for (int r = 0; r < 4; r++) {
                Throwable t = failures.get(r);
                assertInstanceOf(CollectiveException.class, t, "rank " + r);
                assertTrue(t.getMessage().contains("ranks disagree") && t.getMessage().contains("count=63")
                        && t.getMessage().contains("count=64"), t.getMessage());
            }
        } finally {
            group.forEach(Communicator::close);
        }
    }

    @Test
    @Timeout(20)
    void differentOperationsOnDifferentRanksAreReported() throws Exception {
        List<Communicator> group = ThreadTransport.create(new int[] {0, 1}, FAST_TIMEOUT.withTimeoutNs(10_000_000_000L));
        try (Arena arena = Arena.ofShared()) {
            List<Throwable> failures = RankThreads.runAll(group, c -> {
                MemorySegment buffer = arena.allocate(64 * 4L);
                if (c.rank() == 0) {
                    c.barrier();
                } else {
                    c.broadcast(buffer, 64, ElementType.F32, 0);
                }
            });
            assertTrue(failures.get(0).getMessage().contains("broadcast(count=64"), failures.get(0).getMessage());
            assertTrue(failures.get(1).getMessage().contains("barrier("), failures.get(1).getMessage());
        } finally {
            group.forEach(Communicator::close);
        }
    }

    @Test
    void badArgumentsAreRejectedBeforeAnySynchronisation() {
        List<Communicator> group = ThreadTransport.create(new int[] {0}, FAST_TIMEOUT);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment small = arena.allocate(16);
            CollectiveException e = assertThrows(CollectiveException.class, () -> group.get(0).allReduce(small, 5, ElementType.F32));
            assertTrue(e.getMessage().contains("cannot hold 5 elements"), e.getMessage());
            assertThrows(CollectiveException.class, () -> group.get(0).broadcast(small, 1, ElementType.F32, 1));
        } finally {
            group.forEach(Communicator::close);
        }
    }
}
