package numatp.topology.bind;

import numatp.topology.IdSet;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Reads a plan back from {@code <root>/proc}: each thread's {@code Cpus_allowed_list} from
 * {@code PID/task/TID/status} and the page spread and policies of {@code PID/numa_maps}
 * ({@code N<node>=<pages>} fields, second column the policy). It checks what the kernel shows,
 * the same thing {@code taskset -cp} and {@code numastat -p} show.
 */
public final class BindVerifier {
    /** {@link ProcessCheck#strayPages()} key for private anonymous memory (heap, stacks, malloc arenas). */
    public static final String ANONYMOUS = "anonymous";
    /** Key for anonymous memory mapped by several processes (shared memory, after fork). */
    public static final String SHARED_ANONYMOUS = "shared anonymous";

    private final Path proc;

    public BindVerifier(Path root) {
        this.proc = root.resolve("proc");
    }

    public List<ProcessCheck> verify(BindPlan plan) {
        List<ProcessCheck> out = new ArrayList<>();
        for (ProcessBinding p : plan.processes()) {
            List<ThreadCheck> threads = new ArrayList<>();
            for (ThreadBinding t : p.threads()) {
                threads.add(new ThreadCheck(t.tid(), t.comm(), t.cpus(), allowedCpus(p.pid(), t.tid())));
            }
            Map<Integer, Long> pages = new TreeMap<>();
            TreeSet<String> policies = new TreeSet<>();
            Map<String, Long> stray = new TreeMap<>();
            readNumaMaps(p.pid(), p.memNodes(), pages, policies, stray);
            out.add(new ProcessCheck(p.pid(), p.comm(), p.memory(), p.memNodes(), pages, policies, threads, stray));
        }
        return out;
    }

    /** The thread's allowed CPUs, or null when it is gone. */
    IdSet allowedCpus(int pid, int tid) {
        Path status = proc.resolve(pid + "/task/" + tid + "/status");
        List<String> lines;
        try {
            lines = Files.readAllLines(status, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return null;
        }
        for (String line : lines) {
            if (line.startsWith("Cpus_allowed_list:")) {
                try {
                    return IdSet.parseList(line.substring("Cpus_allowed_list:".length()).strip(), status.toString());
                } catch (RuntimeException e) {
                    throw new BindException(status + ": malformed Cpus_allowed_list: " + line, e);
                }
            }
        }
        throw new BindException(status + ": no Cpus_allowed_list line");
    }

    private void readNumaMaps(int pid, IdSet planned, Map<Integer, Long> pages, TreeSet<String> policies,
                              Map<String, Long> stray) {
        Path file = proc.resolve(pid + "/numa_maps");
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return; // gone, or another user's process without CAP_SYS_PTRACE: nothing to count
        }
        for (String line : lines) {
            String[] fields = line.split("\\s+");
            if (fields.length < 2) {
                continue;
            }
            policies.add(fields[1]);
            String holder = holder(fields);
            for (int i = 2; i < fields.length; i++) {
                String f = fields[i];
                int eq = f.indexOf('=');
                if (f.length() > 1 && f.charAt(0) == 'N' && eq > 1) {
                    int node = ProcReader.number(f.substring(1, eq));
                    long count = parsePages(f.substring(eq + 1));
                    if (node < 0 || count < 0) {
                        throw new BindException(file + ": malformed node field " + f);
                    }
                    pages.merge(node, count, Long::sum);
                    if (!planned.contains(node) && count > 0) {
                        stray.merge(holder, count, Long::sum);
                    }
                }
            }
        }
    }

    /** What a numa_maps line maps: its file, or anonymous memory (shared when more than one process maps it). */
    private static String holder(String[] fields) {
        long mapmax = 1;
        for (int i = 2; i < fields.length; i++) {
            if (fields[i].startsWith("file=")) {
                return fields[i].substring("file=".length());
            }
            if (fields[i].startsWith("mapmax=")) {
                mapmax = Math.max(1, parsePages(fields[i].substring("mapmax=".length())));
            }
        }
        return mapmax > 1 ? SHARED_ANONYMOUS : ANONYMOUS;
    }

    private static long parsePages(String text) {
        if (text.isEmpty() || text.length() > 18 || !text.chars().allMatch(Character::isDigit)) {
            return -1;
        }
        return Long.parseLong(text);
    }
}
