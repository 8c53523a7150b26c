package numatp.topology.bind;

import java.util.List;
import java.util.regex.Pattern;

/**
 * One process as /proc shows it: pid, parent pid ({@code PID/stat}; 0 when unknown), {@code comm}
 * name, command line (arguments joined by spaces, empty for kernel threads), its threads (the main
 * thread included) and its arguments as they are ({@code argv}: null splits the command line at
 * spaces, for callers that only have the joined text).
 */
public record ProcessEntry(int pid, int ppid, String comm, String cmdline, List<ThreadEntry> threads,
                           List<String> argv) {
    private static final Pattern SHELL_SAFE = Pattern.compile("[A-Za-z0-9_@%+=:,./-]+");

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
        argv = argv != null ? List.copyOf(argv) : cmdline.isEmpty() ? List.of() : List.of(cmdline.split(" "));
    }

    public ProcessEntry(int pid, int ppid, String comm, String cmdline, List<ThreadEntry> threads) {
        this(pid, ppid, comm, cmdline, threads, null);
    }

    /** A process whose parent is unknown (a capture without {@code stat}). */
    public ProcessEntry(int pid, String comm, String cmdline, List<ThreadEntry> threads) {
        this(pid, 0, comm, cmdline, threads, null);
    }

    /** The command line as a shell takes it back: arguments with spaces or quotes single-quoted. */
    public String shellCommand() {
        if (argv.isEmpty()) {
            return comm;
        }
        StringBuilder b = new StringBuilder();
        for (String a : argv) {
            b.append(b.isEmpty() ? "" : " ");
            b.append(SHELL_SAFE.matcher(a).matches() ? a : "'" + a.replace("'", "'\\''") + "'");
        }
        return b.toString();
    }

    /** What the patterns match: the name and the command line. */
    String matchText() {
        return comm + " " + cmdline;
    }
}
