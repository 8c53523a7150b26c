package numatp.topology.doctor;

import numatp.topology.linux.KernelFiles;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * CPU time counters at one instant: each CPU's line of {@code /proc/stat} and each
 * process's {@code utime + stime} and last CPU from {@code /proc/PID/stat}. Two snapshots
 * an interval apart give CPU steal and the busy processes (see {@link Samples}).
 * Counters are in clock ticks ({@code USER_HZ}, 100 per second on every Linux port).
 *
 * @param cpuTimes  per CPU id, empty when {@code /proc/stat} is absent
 * @param processes per pid, empty when no {@code /proc/PID/stat} could be read
 */
public record ProcSnapshot(Map<Integer, CpuTimes> cpuTimes, Map<Long, ProcessTimes> processes) {
    /** Clock ticks per second of the {@code /proc} counters (USER_HZ). */
    public static final int TICKS_PER_SECOND = 100;

    public ProcSnapshot {
        cpuTimes = Map.copyOf(cpuTimes);
        processes = Map.copyOf(processes);
    }

    /**
     * One CPU's counters.
     *
     * @param totalTicks user + nice + system + idle + iowait + irq + softirq + steal
     * @param stealTicks time the hypervisor ran something else while this virtual CPU wanted to run
     */
    public record CpuTimes(long totalTicks, long stealTicks) {
    }

    /**
     * @param pid   the process id
     * @param name  its command name ({@code comm}, at most 15 characters)
     * @param ticks user + system time of all its threads so far
     * @param cpu   the CPU its main thread last ran on
     */
    public record ProcessTimes(long pid, String name, long ticks, int cpu) {
    }

    /** Reads the counters under {@code files}' root; unreadable entries are skipped. */
    public static ProcSnapshot read(KernelFiles files) {
        Map<Integer, CpuTimes> cpus = files.read("proc/stat").map(ProcSnapshot::parseStat).orElse(Map.of());
        Map<Long, ProcessTimes> processes = new TreeMap<>();
        Path proc = files.root().resolve("proc");
        if (Files.isDirectory(proc)) {
            try (DirectoryStream<Path> dirs = Files.newDirectoryStream(proc)) {
                for (Path dir : dirs) {
                    String name = dir.getFileName().toString();
                    if (name.isEmpty() || name.length() > 10 || !name.chars().allMatch(Character::isDigit)) {
                        continue;
                    }
                    files.read("proc/" + name + "/stat").flatMap(text -> parsePidStat(Long.parseLong(name), text))
                            .ifPresent(p -> processes.put(p.pid(), p));
                }
            } catch (IOException | SecurityException e) {
                // a vanished or unreadable /proc: the checks say that no process could be read
            }
        }
        return new ProcSnapshot(cpus, processes);
    }

    /** The {@code cpuN} lines of {@code /proc/stat}; lines that do not parse are skipped. */
    static Map<Integer, CpuTimes> parseStat(String text) {
        Map<Integer, CpuTimes> out = new TreeMap<>();
        for (String line : text.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 5 || !f[0].startsWith("cpu") || f[0].length() == 3 || f[0].length() > 10
                    || !f[0].substring(3).chars().allMatch(Character::isDigit)) {
                continue;
            }
            long total = 0;
            long steal = 0;
            boolean valid = true;
            // user nice system idle iowait irq softirq steal [guest guest_nice]: guest time is already in user.
            for (int i = 1; i < Math.min(f.length, 9); i++) {
                long v = parseCounter(f[i]);
                if (v < 0) {
                    valid = false;
                    break;
                }
                total += v;
                if (i == 8) {
                    steal = v;
                }
            }
            if (valid) {
                out.put(Integer.parseInt(f[0].substring(3)), new CpuTimes(total, steal));
            }
        }
        return out;
    }

    /** {@code pid (comm) state ... utime stime ... processor ...}; comm may hold spaces and parentheses. */
    static Optional<ProcessTimes> parsePidStat(long pid, String text) {
        int open = text.indexOf('(');
        int close = text.lastIndexOf(')');
        if (open < 0 || close < open) {
            return Optional.empty();
        }
        String[] rest = text.substring(close + 1).trim().split("\\s+");
        // rest[0] is field 3 (state): utime is field 14, stime 15, processor 39.
        if (rest.length < 37) {
            return Optional.empty();
        }
        long utime = parseCounter(rest[11]);
        long stime = parseCounter(rest[12]);
        long cpu = parseCounter(rest[36]);
        if (utime < 0 || stime < 0 || cpu < 0 || cpu > Integer.MAX_VALUE) {
            return Optional.empty();
        }
        return Optional.of(new ProcessTimes(pid, text.substring(open + 1, close), utime + stime, (int) cpu));
    }

    /** A non-negative decimal counter, or -1 when the text is not one. */
    private static long parseCounter(String text) {
        if (text.isEmpty() || text.length() > 18 || !text.chars().allMatch(Character::isDigit)) {
            return -1;
        }
        return Long.parseLong(text);
    }
}
