package numatp.topology.bind;

import numatp.topology.IdSet;
import numatp.topology.linux.Errno;
import numatp.topology.linux.NativeCallException;

import java.util.ArrayList;
import java.util.List;

/**
 * Applies a {@link BindPlan} to running processes: each planned thread's CPU affinity
 * ({@code sched_setaffinity} by tid), then the process's pages moved onto its planned nodes
 * ({@code migrate_pages}). A failure on one thread or process is recorded and the rest still
 * done; a process that exited (ESRCH on its main thread) is skipped. Threads a process starts
 * later inherit the affinity of the thread that starts them. The memory policy for new pages
 * cannot be set from outside a running process: {@link ProcessBinding#numactlLine()} says how to
 * start it that way.
 */
public final class Binder {
    private Binder() {
    }

    /** Applies the plan; {@code machineNodes} are every node pages may lie on now. */
    public static List<ApplyStep> apply(BindPlan plan, BindCalls calls, IdSet machineNodes) {
        List<ApplyStep> steps = new ArrayList<>();
        for (ProcessBinding p : plan.processes()) {
            applyOne(p, calls, machineNodes, steps);
        }
        return steps;
    }

    private static void applyOne(ProcessBinding p, BindCalls calls, IdSet machineNodes, List<ApplyStep> steps) {
        boolean processGone = false;
        for (ThreadBinding t : p.threads()) {
            if (processGone) {
                steps.add(new ApplyStep(p.pid(), t.tid(), "sched_setaffinity", ApplyStep.Status.SKIPPED,
                        "process exited"));
                continue;
            }
            try {
                calls.setAffinity(t.tid(), t.cpus());
                steps.add(new ApplyStep(p.pid(), t.tid(), "sched_setaffinity", ApplyStep.Status.OK,
                        "CPUs " + t.cpus().toListString()));
            } catch (NativeCallException e) {
                if (e.errno() == Errno.ESRCH) {
                    steps.add(new ApplyStep(p.pid(), t.tid(), "sched_setaffinity", ApplyStep.Status.GONE,
                            "thread exited (ESRCH)"));
                    processGone = t.tid() == p.pid();
                } else {
                    steps.add(new ApplyStep(p.pid(), t.tid(), "sched_setaffinity", ApplyStep.Status.FAILED,
                            e.getMessage() + hint(e.errno())));
                }
            }
        }
        IdSet from = machineNodes.minus(p.memNodes());
        if (processGone) {
            steps.add(new ApplyStep(p.pid(), 0, "migrate_pages", ApplyStep.Status.SKIPPED, "process exited"));
        } else if (from.isEmpty()) {
            steps.add(new ApplyStep(p.pid(), 0, "migrate_pages", ApplyStep.Status.SKIPPED,
                    "no other node to move pages from"));
        } else {
            try {
                long left = calls.migratePages(p.pid(), from, p.memNodes());
                steps.add(new ApplyStep(p.pid(), 0, "migrate_pages", ApplyStep.Status.OK, "pages on nodes "
                        + from.toListString() + " moved to " + p.memNodes().toListString()
                        + (left > 0 ? " (" + left + " could not be moved: shared or locked)" : "")));
            } catch (NativeCallException e) {
                ApplyStep.Status status = e.errno() == Errno.ESRCH ? ApplyStep.Status.GONE : ApplyStep.Status.FAILED;
                steps.add(new ApplyStep(p.pid(), 0, "migrate_pages", status, e.getMessage() + hint(e.errno())));
            }
        }
    }

    private static String hint(int errno) {
        return switch (errno) {
            case Errno.EPERM -> ": binding another user's process needs CAP_SYS_NICE (run as root or as its user)";
            case Errno.EINVAL -> ": the CPUs or nodes are outside the process's cpuset (cgroup)";
            case Errno.ENOSYS -> ": the native calls are unavailable here";
            default -> "";
        };
    }
}
