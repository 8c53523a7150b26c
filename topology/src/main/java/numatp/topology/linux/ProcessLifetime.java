package numatp.topology.linux;

/**
 * The Linux calls that tie a worker process's lifetime to the process that started it:
 * {@code prctl(PR_SET_PDEATHSIG)} and {@code getppid()}. A worker sets the signal first thing,
 * then checks that its parent is still the launcher it was started by: a launcher that died
 * before the {@code prctl} call sends no signal, and the worker has been re-parented already.
 *
 * <p>{@link #system()} gives the JNA implementation on Linux, otherwise a no-op fallback
 * ({@link #isNative()} false) whose {@link #setParentDeathSignal} throws ENOSYS, so callers
 * can watch the parent some other way.
 */
public interface ProcessLifetime {
    /** Signal number of SIGKILL (the same on every Linux architecture). */
    int SIGKILL = 9;

    /** The implementation for this JVM: JNA over libc when it loads, else the no-op fallback. */
    static ProcessLifetime system() {
        return ProcessLifetimeLoader.system();
    }

    /** True when the calls reach the kernel; false for the no-op fallback. */
    boolean isNative();

    /** One line for logs: which implementation, and why the fallback if it is one. */
    String description();

    /**
     * {@code prctl(PR_SET_PDEATHSIG, signal)}: the kernel sends {@code signal} to this process
     * when the thread that created it exits (for a JVM launcher: the thread that called
     * {@code ProcessBuilder.start}, which must outlive the worker). Survives no {@code exec}
     * of a set-user-id binary; inherited by nothing.
     */
    void setParentDeathSignal(int signal);

    /** {@code getppid()}: the current parent's pid (a reaper's pid once the real parent has died). */
    long parentPid();
}
