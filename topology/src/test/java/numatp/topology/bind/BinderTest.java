package numatp.topology.bind;

import numatp.topology.IdSet;
import numatp.topology.linux.Errno;
import numatp.topology.linux.NativeCallException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Apply with a scripted native layer: EPERM and ESRCH on some threads, the rest still bound. */
@Timeout(60)
class BinderTest {
    /** Records calls; a tid or pid mapped to an errno fails with it. */
    static final class ScriptedCalls implements BindCalls {
        final Map<Integer, Integer> affinityErrno = new HashMap<>();
        final Map<Integer, Integer> migrateErrno = new HashMap<>();
        final List<String> calls = new ArrayList<>();

        @Override
        public void setAffinity(int tid, IdSet cpus) {
            calls.add("affinity " + tid + " " + cpus.toListString());
            Integer errno = affinityErrno.get(tid);
            if (errno != null) {
                throw new NativeCallException("sched_setaffinity", "tid=" + tid + ", cpus=" + cpus, errno);
            }
        }

        @Override
        public long migratePages(int pid, IdSet fromNodes, IdSet toNodes) {
            calls.add("migrate " + pid + " " + fromNodes.toListString() + "->" + toNodes.toListString());
            Integer errno = migrateErrno.get(pid);
            if (errno != null) {
                throw new NativeCallException("migrate_pages", "pid=" + pid, errno);
            }
            return pid == 30 ? 7 : 0;
        }
    }

    private static ProcessBinding process(int pid, int... otherTids) {
        List<ThreadBinding> threads = new ArrayList<>();
        threads.add(new ThreadBinding(pid, "main", false, 0, IdSet.of(0, 1)));
        for (int tid : otherTids) {
            threads.add(new ThreadBinding(tid, "forward", true, 1, IdSet.of(2, 3)));
        }
        return new ProcessBinding(pid, "worker", "worker", 0, 0, 0, IdSet.of(0, 1), MemoryMode.INTERLEAVE,
                IdSet.of(0, 1), threads);
    }

    private static BindPlan plan(ProcessBinding... ps) {
        return new BindPlan("test", "generic", List.of(), List.of(ps), List.of());
    }

    @Test
    void epermOnOneProcessIsReportedAndTheOthersAreStillBound() {
        ScriptedCalls calls = new ScriptedCalls();
        calls.affinityErrno.put(10, Errno.EPERM);
        calls.migrateErrno.put(10, Errno.EPERM);
        List<ApplyStep> steps = Binder.apply(plan(process(10, 11), process(20, 21)), calls, IdSet.range(0, 3));
        assertEquals(List.of("affinity 10 0-1", "affinity 11 2-3", "migrate 10 2-3->0-1", "affinity 20 0-1",
                "affinity 21 2-3", "migrate 20 2-3->0-1"), calls.calls);
        ApplyStep failed = steps.getFirst();
        assertEquals(ApplyStep.Status.FAILED, failed.status());
        assertTrue(failed.detail().contains("errno=1 (EPERM)") && failed.detail().contains("CAP_SYS_NICE"),
                failed.detail());
        assertEquals(ApplyStep.Status.FAILED, steps.get(2).status());
        assertTrue(steps.subList(3, 6).stream().allMatch(s -> s.status() == ApplyStep.Status.OK), steps.toString());
    }

    @Test
    void processExitingMidApplyIsGoneAndItsRemainingThreadsAreSkipped() {
        ScriptedCalls calls = new ScriptedCalls();
        calls.affinityErrno.put(10, Errno.ESRCH);
        calls.affinityErrno.put(22, Errno.ESRCH);
        List<ApplyStep> steps = Binder.apply(plan(process(10, 11), process(20, 21, 22)), calls, IdSet.range(0, 3));
        assertEquals(ApplyStep.Status.GONE, steps.get(0).status());
        assertEquals(ApplyStep.Status.SKIPPED, steps.get(1).status());
        assertEquals(ApplyStep.Status.SKIPPED, steps.get(2).status(), "no migrate_pages for a gone process");
        assertEquals(List.of(ApplyStep.Status.OK, ApplyStep.Status.OK, ApplyStep.Status.GONE, ApplyStep.Status.OK),
                steps.subList(3, 7).stream().map(ApplyStep::status).toList(), "a thread exiting leaves the process bound");
        assertTrue(calls.calls.stream().noneMatch(c -> c.startsWith("affinity 11")));
    }

    @Test
    void unmovablePagesAreCountedAndNoOtherNodeMeansNothingToMigrate() {
        ScriptedCalls calls = new ScriptedCalls();
        List<ApplyStep> steps = Binder.apply(plan(process(30)), calls, IdSet.range(0, 3));
        assertTrue(steps.get(1).detail().contains("7 could not be moved"), steps.get(1).detail());
        steps = Binder.apply(plan(process(40)), calls, IdSet.range(0, 1));
        assertEquals(ApplyStep.Status.SKIPPED, steps.get(1).status());
        String text = BindReport.applyText(plan(process(40)), steps);
        assertTrue(text.contains("memory policy for new pages is set when a process starts"), text);
        assertTrue(text.contains("numactl --interleave=0-1 --physcpubind=0-1 -- worker"), text);
    }
}
