package numatp.topology.bind;

import java.util.List;

/**
 * One process as /proc shows it: pid, parent pid ({@code PID/stat}; 0 when unknown), {@code comm}
 * name, command line (arguments joined by spaces, empty for kernel threads) and its threads (the
 * main thread included).
 */
public record ProcessEntry(int pid, int ppid, String comm, String cmdline, List<ThreadEntry> threads) {
    public ProcessEntry {
        if (pid <= 0) {
            throw new BindException("pid must be positive: " + pid);
        }
        if (ppid < 0) {
            throw new BindException("pid " + pid + ": parent pid must be >= 0: " + ppid);
        }
        comm = comm == null ? "" : comm;
        cmdline = cmdline == null ? "" : cmdline;
        threads = List.copyOf(threads);
    }

    /** A process whose parent is unknown (a capture without {@code stat}). */
    public ProcessEntry(int pid, String comm, String cmdline, List<ThreadEntry> threads) {
        this(pid, 0, comm, cmdline, threads);
    }

    /** What the patterns match: the name and the command line. */
    String matchText() {
        return comm + " " + cmdline;
    }
}
