package numatp.collectives.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Whether a process still runs, as peers and launchers need to know it: a zombie (exited, not yet
 * reaped) counts as gone. {@link ProcessHandle#isAlive()} says true for zombies, and orphans whose
 * reaper does not reap (some container init processes) stay zombies for good. A stopped process
 * ({@code SIGSTOP}) still runs. Reads {@code /proc/PID/stat}; without {@code /proc} it falls back
 * to {@link ProcessHandle}. One file read per call: callers keep it off their fast paths.
 */
public final class ProcessLiveness {
    private static final Path PROC = Path.of("/proc");

    private ProcessLiveness() {
    }

    /** True while {@code pid} exists and is not a zombie. */
    public static boolean running(long pid) {
        if (pid <= 0) {
            return false;
        }
        char state = state(pid);
        return state != 0 && state != 'Z' && state != 'X';
    }

    /**
     * The state letter of {@code /proc/PID/stat} ({@code R}, {@code S}, {@code T}, {@code Z}, ...),
     * 0 when the process does not exist, {@code ?} when only {@link ProcessHandle} could tell it lives.
     */
    public static char state(long pid) {
        if (!Files.isDirectory(PROC.resolve("self"))) {
            return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) ? '?' : 0;
        }
        try {
            String stat = new String(Files.readAllBytes(PROC.resolve(Long.toString(pid)).resolve("stat")),
                    StandardCharsets.US_ASCII);
            // "pid (comm) S ...": comm may hold spaces and parentheses, the state follows the last ')'.
            int close = stat.lastIndexOf(')');
            return close >= 0 && close + 2 < stat.length() ? stat.charAt(close + 2) : '?';
        } catch (NoSuchFileException e) {
            return 0;
        } catch (IOException e) {
            // ESRCH while reading: the process went away between open and read.
            return 0;
        }
    }
}
