package numatp.collectives.process;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProcessLivenessTest {
    @Test
    @Timeout(30)
    void aZombieIsGoneThoughProcessHandleCallsItAlive() throws Exception {
        // The backgrounded sleep's parent execs into a sleep that never reaps it: a zombie for 30 s.
        Process parent = new ProcessBuilder("bash", "-c", "sleep 0.05 & echo $!; exec sleep 30").start();
        try {
            long zombie = Long.parseLong(new BufferedReader(new InputStreamReader(parent.getInputStream(),
                    StandardCharsets.UTF_8)).readLine().strip());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (ProcessLiveness.state(zombie) != 'Z') {
                assertTrue(System.nanoTime() < deadline, "pid " + zombie + " never became a zombie: " + ProcessLiveness.state(zombie));
                LockSupport.parkNanos(5_000_000);
            }
            assertFalse(ProcessLiveness.running(zombie));
            assertTrue(ProcessHandle.of(zombie).map(ProcessHandle::isAlive).orElse(false), "the JDK's view, which this class corrects");
        } finally {
            parent.destroyForcibly().waitFor();
        }
    }

    @Test
    @Timeout(30)
    void aStoppedProcessStillRunsAndAReapedOneDoesNot() throws Exception {
        Process sleeper = new ProcessBuilder("sleep", "30").start();
        try {
            assertTrue(new ProcessBuilder("kill", "-STOP", Long.toString(sleeper.pid())).start().waitFor() == 0);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (ProcessLiveness.state(sleeper.pid()) != 'T') {
                assertTrue(System.nanoTime() < deadline, "never stopped: " + ProcessLiveness.state(sleeper.pid()));
                LockSupport.parkNanos(5_000_000);
            }
            assertTrue(ProcessLiveness.running(sleeper.pid()));
        } finally {
            sleeper.destroyForcibly().waitFor();
        }
        assertFalse(ProcessLiveness.running(sleeper.pid()));
        assertEquals(0, ProcessLiveness.state(sleeper.pid()));
        assertFalse(ProcessLiveness.running(0));
        assertTrue(ProcessLiveness.running(ProcessHandle.current().pid()));
    }
}
