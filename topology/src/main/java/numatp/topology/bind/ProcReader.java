package numatp.topology.bind;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

/**
 * Reads processes and their threads from {@code <root>/proc}: {@code PID/comm}, {@code PID/cmdline},
 * the parent pid from {@code PID/stat} and {@code PID/task/TID/comm}. A process or thread that exits while it is read is left out
 * (it cannot be bound anyway); kernel threads (empty cmdline) are kept here and skipped by the planner.
 */
public final class ProcReader {
    private final Path proc;

    public ProcReader(Path root) {
        this.proc = root.resolve("proc");
    }

    /**
     * Every process, sorted by pid, except {@code skipPids} (this JVM and its ancestors: their command
     * lines hold the patterns, as with {@code pgrep -f}).
     */
    public List<ProcessEntry> processes(Set<Long> skipPids) {
        List<ProcessEntry> out = new ArrayList<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(proc)) {
            for (Path dir : dirs) {
                int pid = number(dir.getFileName().toString());
                if (pid > 0 && !skipPids.contains((long) pid)) {
                    ProcessEntry e = process(pid);
                    if (e != null) {
                        out.add(e);
                    }
                }
            }
        } catch (IOException e) {
            throw new BindException("cannot list " + proc + ": " + e.getMessage(), e);
        }
        out.sort(Comparator.comparingInt(ProcessEntry::pid));
        return out;
    }

    /** One process, or null when it is gone. */
    public ProcessEntry process(int pid) {
        Path dir = proc.resolve(Integer.toString(pid));
        try {
            String comm = Files.readString(dir.resolve("comm"), StandardCharsets.UTF_8).strip();
            byte[] raw = Files.exists(dir.resolve("cmdline")) ? Files.readAllBytes(dir.resolve("cmdline")) : new byte[0];
            String text = new String(raw, StandardCharsets.UTF_8);
            String cmdline = text.replace('\0', ' ').strip();
            // the kernel ends each argument with a NUL: drop the last one, keep empty arguments ('')
            String args = text.endsWith("\0") ? text.substring(0, text.length() - 1) : text;
            List<String> argv = args.isEmpty() ? List.of() : List.of(args.split("\0", -1));
            return new ProcessEntry(pid, parent(dir), comm, cmdline, threads(dir, pid, comm), argv);
        } catch (IOException e) {
            return null; // exited between listing and reading, or not readable: nothing to bind
        }
    }

    /**
     * The parent pid: the second field after the name in {@code stat} (the name is in parentheses
     * and may hold spaces and parentheses itself, so the last ')' ends it); 0 when stat is missing.
     */
    static int parent(Path dir) throws IOException {
        Path stat = dir.resolve("stat");
        if (!Files.exists(stat)) {
            return 0; // a capture or generated tree without stat: the process is its own group
        }
        String text = Files.readString(stat, StandardCharsets.UTF_8);
        int close = text.lastIndexOf(')');
        String[] fields = close < 0 ? new String[0] : text.substring(close + 1).strip().split("\\s+");
        int ppid = fields.length > 1 ? number(fields[1]) : -1;
        if (ppid < 0) {
            throw new BindException(stat + ": malformed, expected 'PID (name) STATE PPID ...': "
                    + text.lines().findFirst().orElse(""));
        }
        return ppid;
    }

    private static List<ThreadEntry> threads(Path dir, int pid, String comm) throws IOException {
        List<ThreadEntry> out = new ArrayList<>();
        Path task = dir.resolve("task");
        if (!Files.isDirectory(task)) {
            return List.of(new ThreadEntry(pid, comm));
        }
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(task)) {
            for (Path t : tasks) {
                int tid = number(t.getFileName().toString());
                if (tid > 0) {
                    try {
                        out.add(new ThreadEntry(tid, Files.readString(t.resolve("comm"), StandardCharsets.UTF_8).strip()));
                    } catch (IOException gone) {
                        // the thread exited while listing
                    }
                }
            }
        }
        out.sort(Comparator.comparingInt(ThreadEntry::tid));
        return out;
    }

    static int number(String name) {
        if (name.isEmpty() || name.length() > 9 || !name.chars().allMatch(Character::isDigit)) {
            return -1;
        }
        return Integer.parseInt(name);
    }
}
