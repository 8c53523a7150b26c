package numatp.collectives.process;

import numatp.collectives.CollectiveException;
import numatp.topology.linux.NativeCallException;
import numatp.topology.linux.ProcessLifetime;

import java.util.concurrent.locks.LockSupport;

/**
 * The worker's half of {@link RankLauncher}: dies with the launcher. Call {@link #bindToLauncher()}
 * first thing in a worker's {@code main}: it asks the kernel for SIGKILL when the launcher dies
 * ({@code PR_SET_PDEATHSIG}), then checks the launcher is still this process's parent (it may have
 * died while this JVM started, before the signal was armed). Where {@code prctl} is unavailable a
 * daemon thread polls the launcher instead and halts this JVM when it is gone.
 */
public final class WorkerLifetime {
    /** Environment variable through which {@link RankLauncher} passes its pid to each worker. */
    public static final String LAUNCHER_PID_ENV = "NUMATP_LAUNCHER_PID";
    /** Exit status of a worker that finds its launcher gone (as if killed by SIGKILL: 128 + 9). */
    public static final int ORPHAN_EXIT = 128 + ProcessLifetime.SIGKILL;
    private static final long WATCH_PERIOD_NS = 100_000_000L;

    private WorkerLifetime() {
    }

    /**
     * Binds this process to the launcher named by {@link #LAUNCHER_PID_ENV}; does nothing when the
     * variable is unset (not started by a launcher). Returns the launcher's pid, or 0.
     *
     * @throws CollectiveException when the launcher has already died (the caller should exit)
     */
    public static long bindToLauncher() {
        String value = System.getenv(LAUNCHER_PID_ENV);
        if (value == null || value.isBlank()) {
            return 0;
        }
        long launcher;
        try {
            launcher = Long.parseLong(value.strip());
        } catch (NumberFormatException e) {
            throw new CollectiveException(LAUNCHER_PID_ENV + " must be a process id: " + value);
        }
        bindTo(ProcessLifetime.system(), launcher);
        return launcher;
    }

    /** {@link #bindToLauncher()} with the native calls and the launcher's pid given. */
    static void bindTo(ProcessLifetime lifetime, long launcherPid) {
        long self = ProcessHandle.current().pid();
        try {
            lifetime.setParentDeathSignal(ProcessLifetime.SIGKILL);
        } catch (NativeCallException e) {
            watch(launcherPid);
        }
        // After arming: a launcher that dies from here on kills us; one that died before has left us re-parented.
        long parent = lifetime.parentPid();
        if (parent != launcherPid || !ProcessLiveness.running(launcherPid)) {
            throw new CollectiveException("worker pid " + self + ": launcher process " + launcherPid
                    + " exited before the worker started (parent is now " + parent + ")");
        }
    }

    private static void watch(long launcherPid) {
        Thread.ofPlatform().daemon().name("numatp-launcher-watch").start(() -> {
            while (ProcessLiveness.running(launcherPid)) {
                LockSupport.parkNanos(WATCH_PERIOD_NS);
            }
            // The launcher is gone: exit at once, as the parent-death signal would have made us.
            Runtime.getRuntime().halt(ORPHAN_EXIT);
        });
    }
}
