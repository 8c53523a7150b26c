package numatp.collectives.sync;

import numatp.topology.linux.LinuxNuma;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class IdleStrategyTest {
    @Test
    void yieldFirstSkipsTheSpinsButKeepsTheYieldsBeforeParking() {
        BackoffIdleStrategy idle = new BackoffIdleStrategy(1_000, 3, 1_000, 2_000);
        idle.reset();
        idle.yieldFirst();
        for (int i = 0; i < 2; i++) {
            idle.idle();
        }
        assertFalse(idle.parking(), "two of three yields done");
        idle.idle();
        assertTrue(idle.parking(), "spins skipped, yields done: the next poll parks");

        idle.reset();
        for (int i = 0; i < 3; i++) {
            idle.idle();
        }
        assertFalse(idle.parking(), "without yieldFirst the same polls are still spinning");
    }

    @Test
    void currentCpuIsOneThisThreadMayRunOn() {
        assumeTrue(CurrentCpu.available(), "no sched_getcpu in this libc");
        LinuxNuma numa = LinuxNuma.system();
        assumeTrue(numa.isNative(), "no native NUMA calls to read the affinity");
        int cpu = CurrentCpu.get();
        assertTrue(numa.getAffinity(numa.gettid()).contains(cpu), "cpu " + cpu);
    }
}
