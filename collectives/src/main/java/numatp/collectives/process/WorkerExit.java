package numatp.collectives.process;

/**
 * How one worker process ended, in words for an error message: {@code worker rank 0 (pid 1234)
 * was killed by signal 9 (SIGKILL)} or {@code ... exited with status 3}. The JDK reports a death
 * by signal N as exit value 128 + N; a worker that calls {@code exit(137)} itself reads the same.
 *
 * @param rank      the worker's rank
 * @param pid       its process id
 * @param exitValue {@link Process#exitValue()}
 */
public record WorkerExit(int rank, long pid, int exitValue) {
    private static final String[] SIGNALS = {"", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS",
        "SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM"};

    public boolean succeeded() {
        return exitValue == 0;
    }

    /** The signal that killed the worker, or 0 if it exited by itself. */
    public int signal() {
        return exitValue > 128 && exitValue <= 128 + 64 ? exitValue - 128 : 0;
    }

    public static String signalName(int signal) {
        return signal > 0 && signal < SIGNALS.length ? SIGNALS[signal] : "signal " + signal;
    }

    /** {@code worker rank R (pid P) was killed by signal 9 (SIGKILL)} / {@code exited with status 3}. */
    public String describe() {
        int signal = signal();
        String how = signal > 0 ? "was killed by signal " + signal + " (" + signalName(signal) + ")"
                : "exited with status " + exitValue;
        return "worker rank " + rank + " (pid " + pid + ") " + how;
    }
}
