package numatp.collectives;

import numatp.collectives.shm.ThreadTransport;
import numatp.collectives.sync.CurrentCpu;
import numatp.topology.IdSet;
import numatp.topology.linux.LinuxNuma;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A waiter whose peer last ran on its own CPU yields instead of spinning: forced by pinning
 * both ranks to one CPU, ruled out by pinning them to two.
 */
@Timeout(60)
class SameCpuWaitTest {
    private static final long COUNT = 16 << 10;
    private static final int CALLS = 200;

    @Test
    void ranksPinnedToOneCpuYieldToEachOtherAndStillSumRight() throws Exception {
        IdSet allowed = affinityOrSkip();
        long[] sameCpuWaits = run(new int[] {allowed.first(), allowed.first()});
        assertTrue(sameCpuWaits[0] + sameCpuWaits[1] > 0, "on one CPU a rank must wait for its peer at least once");
    }

    @Test
    void ranksPinnedToTwoCpusNeverSeeEachOtherOnTheirCpu() throws Exception {
        IdSet allowed = affinityOrSkip();
        assumeTrue(allowed.size() >= 2, "needs two CPUs");
        long[] sameCpuWaits = run(new int[] {allowed.first(), allowed.next(allowed.first() + 1)});
        assertEquals(0, sameCpuWaits[0] + sameCpuWaits[1]);
    }

    private static IdSet affinityOrSkip() {
        assumeTrue(CurrentCpu.available(), "no sched_getcpu in this libc");
        LinuxNuma numa = LinuxNuma.system();
        assumeTrue(numa.isNative(), "no native calls to pin threads");
        return numa.getAffinity(numa.gettid());
    }

    /** Each rank pinned to {@code cpuOfRank[r]} runs {@link #CALLS} allreduces; returns each rank's same-CPU waits. */
    private static long[] run(int[] cpuOfRank) throws Exception {
        LinuxNuma numa = LinuxNuma.system();
        List<Communicator> group = ThreadTransport.create(new int[cpuOfRank.length],
                CommunicatorConfig.defaults().withAlgorithm(Algorithm.HIERARCHICAL));
        try (Arena arena = Arena.ofShared()) {
            RankThreads.run(group, "cpus " + java.util.Arrays.toString(cpuOfRank), c -> {
                numa.setAffinity(numa.gettid(), IdSet.of(cpuOfRank[c.rank()]));
                MemorySegment buffer = arena.allocate(COUNT * 4);
                for (int call = 0; call < CALLS; call++) {
                    for (long i = 0; i < COUNT; i++) {
                        buffer.setAtIndex(ValueLayout.JAVA_FLOAT, i, (i + c.rank() + call) % 64);
                    }
                    c.allReduce(buffer, COUNT, ElementType.F32);
                    for (long i = 0; i < COUNT; i += 97) {
                        float expected = (i + call) % 64 + (i + 1 + call) % 64;
                        assertEquals(expected, buffer.getAtIndex(ValueLayout.JAVA_FLOAT, i), "call " + call + " element " + i);
                    }
                }
            });
            return new long[] {group.get(0).stats().sameCpuWaits(), group.get(1).stats().sameCpuWaits()};
        } finally {
            group.forEach(Communicator::close);
        }
    }
}
