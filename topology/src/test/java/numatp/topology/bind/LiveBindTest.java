package numatp.topology.bind;

import numatp.topology.IdSet;
import numatp.topology.TopologyDetector;
import numatp.topology.linux.LinuxNuma;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Apply and verify on this machine: a {@code sleep} child renamed {@code tp-bind-probe} is found by
 * pattern, bound by the planner's plan and then to a single CPU, and /proc shows where it landed.
 */
class LiveBindTest {
    private static final Path ROOT = Path.of("/");

    @Test
    @Timeout(60)
    void childProcessIsBoundByPlanAndThenToOneCpuAndProcShowsIt() throws Exception {
        LinuxNuma numa = LinuxNuma.system();
        Assumptions.assumeTrue(numa.isNative(), "needs the native calls: " + numa.description());
        Process child = new ProcessBuilder("bash", "-c", "exec -a tp-bind-probe sleep 120").start();
        try {
            int pid = (int) child.pid();
            ProcessEntry entry = awaitExec(pid);
            BindPolicy policy = BindPolicy.generic(List.of("tp-bind-probe"), List.of(), List.of());
            BindPlan plan = BindPlanner.plan(TopologyDetector.detect(), policy, List.of(entry), "/");
            assertEquals(1, plan.processes().size(), plan.toText());
            List<ApplyStep> steps = Binder.apply(plan, BindCalls.of(numa), numa.possibleNodes());
            assertTrue(steps.stream().noneMatch(s -> s.status() == ApplyStep.Status.FAILED), steps.toString());
            List<ProcessCheck> checks = new BindVerifier(ROOT).verify(plan);
            assertTrue(BindReport.verified(checks), BindReport.verifyText(checks));

            int cpu = numa.getAffinity(0).first(); // CPU 0 unless this JVM's cpuset leaves it out
            ProcessBinding planned = plan.processes().getFirst();
            ProcessBinding one = new ProcessBinding(pid, entry.comm(), entry.cmdline(), -1, 0, planned.node(),
                    IdSet.of(cpu), MemoryMode.LOCAL, planned.memNodes(),
                    List.of(new ThreadBinding(pid, entry.comm(), false, planned.node(), IdSet.of(cpu))));
            BindPlan single = new BindPlan("/", "test", plan.sockets(), List.of(one), List.of());
            Binder.apply(single, BindCalls.of(numa), planned.memNodes());
            ProcessCheck check = new BindVerifier(ROOT).verify(single).getFirst();
            assertEquals(IdSet.of(cpu), check.threads().getFirst().got(), BindReport.verifyText(List.of(check)));
            assertEquals(IdSet.of(cpu), numa.getAffinity(pid), "sched_getaffinity agrees with /proc");
        } finally {
            child.destroyForcibly();
            child.waitFor();
        }
    }

    /** Polls /proc until bash has exec'd into the renamed sleep. */
    private static ProcessEntry awaitExec(int pid) throws IOException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(20));
        while (Instant.now().isBefore(deadline)) {
            String cmdline = Files.readString(Path.of("/proc/" + pid + "/cmdline"));
            if (cmdline.startsWith("tp-bind-probe")) {
                ProcessEntry e = new ProcReader(ROOT).process(pid);
                assertNotNull(e);
                return e;
            }
            Thread.onSpinWait();
        }
        throw new AssertionError("pid " + pid + " did not exec tp-bind-probe within 20 s");
    }
}
