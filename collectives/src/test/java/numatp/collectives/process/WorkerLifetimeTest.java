package numatp.collectives.process;

import numatp.collectives.CollectiveException;
import numatp.topology.linux.ProcessLifetime;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WorkerLifetimeTest {
    /** Records the signal asked for; reports {@code parent} as the current parent. */
    private static final class FakeLifetime implements ProcessLifetime {
        final long parent;
        int signal;

        FakeLifetime(long parent) {
            this.parent = parent;
        }

        @Override
        public boolean isNative() {
            return false;
        }

        @Override
        public String description() {
            return "fake";
        }

        @Override
        public void setParentDeathSignal(int s) {
            signal = s;
        }

        @Override
        public long parentPid() {
            return parent;
        }
    }

    @Test
    void armsSigkillAndAcceptsTheLauncherAsParent() {
        long launcher = ProcessHandle.current().pid(); // a running process standing for the launcher
        FakeLifetime lifetime = new FakeLifetime(launcher);
        WorkerLifetime.bindTo(lifetime, launcher);
        assertEquals(ProcessLifetime.SIGKILL, lifetime.signal);
    }

    @Test
    void aLauncherThatDiedBeforeTheSignalWasArmedIsReported() {
        // Re-parented to the reaper: the launcher died while this worker's JVM started.
        FakeLifetime lifetime = new FakeLifetime(1);
        CollectiveException e = assertThrows(CollectiveException.class, () -> WorkerLifetime.bindTo(lifetime, 424242));
        assertEquals(ProcessLifetime.SIGKILL, lifetime.signal, "armed before the check, so no death is missed");
        assertTrue(e.getMessage().contains("launcher process 424242 exited before the worker started (parent is now 1)"),
                e.getMessage());
    }

    @Test
    void exitsAreDescribedWithTheSignalName() {
        assertEquals("worker rank 0 (pid 1234) was killed by signal 9 (SIGKILL)", new WorkerExit(0, 1234, 137).describe());
        assertEquals("worker rank 2 (pid 7) was killed by signal 15 (SIGTERM)", new WorkerExit(2, 7, 143).describe());
        assertEquals("worker rank 1 (pid 99) exited with status 3", new WorkerExit(1, 99, 3).describe());
    }
}
