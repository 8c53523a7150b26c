package numatp.topology.bind;

import java.util.List;

/**
 * One process as /proc shows it: pid, {@code comm} name, command line (arguments joined by spaces,
 * empty for kernel threads) and its threads (the main thread included).
 */
public record ProcessEntry(int pid, String comm, String cmdline, List<ThreadEntry> threads) {
    public ProcessEntry {
        if (pid <= 0) {
            throw new BindException("pid must be positive: " + pid);
        }
        comm = comm == null ? "" : comm;
        cmdline = cmdline == null ? "" : cmdline;
        threads = List.copyOf(threads);
    }

    /** What the patterns match: the name and the command line. */
    String matchText() {
        return comm + " " + cmdline;
    }
}
