package numatp.cli.numavm;

import numatp.cli.TpMain;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Runs in a numa-vm guest: starts two serving instances with the seed's names (a {@code scheduler}
 * that starts a {@code worker} with forward/prefill/decode threads and an {@code rpc_proxy}) and a
 * {@code Motor}, runs {@code tp bind --apply} with the seed's patterns, then checks from outside,
 * with its own reading of sysfs and /proc (not numatp's), that every thread's
 * {@code Cpus_allowed_list} and every process's anonymous pages in {@code numa_maps} are where the
 * seed's policy puts them. Prints {@code PROBE key=value} lines and leaves what {@code tp topology},
 * {@code tp doctor} and {@code tp bind} printed next to the report. Args: report file, classpath,
 * node count.
 */
public final class BindCommandProbe {
    private static final Pattern FORWARD = Pattern.compile("forward|prefill|decode");
    private static final Path SVC = Path.of("/tmp/svc");

    private BindCommandProbe() {
    }

    public static void main(String[] args) throws Exception {
        Path report = Path.of(args[0]);
        String classpath = args[1];
        String nodes = args[2];
        Path outputs = report.toAbsolutePath().getParent();
        Files.createDirectories(outputs);
        // checklist A (topology and preconditions), as an operator runs it before binding
        tp(outputs.resolve("topology-" + nodes + "node.txt"), "topology");
        tp(outputs.resolve("doctor-" + nodes + "node.txt"), "doctor", "--shards", nodes);
        List<Process> schedulers = new ArrayList<>();
        try {
            Files.createDirectories(SVC);
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            link("scheduler", "/bin/bash");
            link("worker", java);
            link("rpc_proxy", "/bin/sleep");
            link("Motor", "/bin/sleep");
            for (int g = 0; g < 2; g++) {
                String worker = SVC + "/worker -Xmx48m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto -cp "
                        + classpath + " " + ServingProcessDouble.class.getName() + " " + g + " " + SVC + "/ready-" + g
                        + " 600";
                // the subshell that records the worker's exit is a fork of the scheduler: one more group member
                schedulers.add(new ProcessBuilder(SVC + "/scheduler", "-c", "{ " + worker + "; echo $? > " + SVC
                        + "/exit-" + g + "; } & " + SVC + "/rpc_proxy 600 & wait").inheritIO().start());
            }
            Process motor = new ProcessBuilder(SVC + "/Motor", "600").start();
            schedulers.add(motor);
            awaitReady(2);
            String[] patterns = {"--group-pattern", "scheduler|worker|rpc_proxy|tcp", "--other-pattern",
                    "Motor|Servicer", "--forward-thread-pattern", "forward|prefill|decode"};
            tp(outputs.resolve("bind-plan-" + nodes + "node.txt"), concat("bind", patterns));
            int code = tp(outputs.resolve("bind-apply-" + nodes + "node.txt"),
                    concat("bind", concat(patterns, "--apply", "--report", report.toString())));
            for (String line : read(outputs.resolve("bind-apply-" + nodes + "node.txt")).split("\n")) {
                System.out.println("PROBE tp=" + line);
            }
            System.out.println("PROBE tpExit=" + code);
            checkFromOutside(schedulers.subList(0, 2), motor);
        } finally {
            for (Process p : schedulers) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
            }
            for (Process p : schedulers) {
                p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
            }
        }
        // bash reports each killed job on the shared console, and cuts a long command line without
        // its newline (the checkout's path decides the length): start on a fresh line.
        System.out.println();
        System.out.println("PROBE done=true");
    }

    /** Runs {@code tp args} in this JVM and writes what it printed (stdout, then stderr) to {@code file}. */
    private static int tp(Path file, String... args) throws IOException {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = TpMain.execute(args, new PrintWriter(out), new PrintWriter(err));
        Files.writeString(file, "$ tp " + String.join(" ", quoted(args)) + "\n" + out + err + "(exit " + code + ")\n");
        return code;
    }

    private static List<String> quoted(String[] args) {
        return java.util.Arrays.stream(args).map(a -> a.matches("[\\w./=,:-]+") ? a : "'" + a + "'").toList();
    }

    private static String[] concat(String first, String... rest) {
        String[] all = new String[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }

    private static String[] concat(String[] first, String... rest) {
        String[] all = java.util.Arrays.copyOf(first, first.length + rest.length);
        System.arraycopy(rest, 0, all, first.length, rest.length);
        return all;
    }

    /** The seed's rule, computed from sysfs here: group k on socket k's first node, forward threads on its second. */
    private static void checkFromOutside(List<Process> schedulers, Process motor) throws IOException {
        List<List<Integer>> sockets = sockets();
        System.out.println("PROBE sockets=" + sockets);
        int mismatches = 0;
        int checked = 0;
        long anonOff = 0;
        long anonTotal = 0;
        for (int g = 0; g < schedulers.size(); g++) {
            List<Integer> socket = sockets.get(g % sockets.size());
            int first = socket.getFirst();
            int second = socket.size() > 1 ? socket.get(1) : first;
            List<Long> members = new ArrayList<>(List.of(schedulers.get(g).pid()));
            schedulers.get(g).descendants().forEach(d -> members.add(d.pid()));
            for (long pid : members) {
                for (Path task : list(Path.of("/proc/" + pid + "/task"))) {
                    String comm = read(task.resolve("comm")).strip();
                    boolean forward = FORWARD.matcher(comm).find();
                    String wanted = cpulist(forward ? second : first);
                    String got = allowed(task);
                    boolean ok = canonical(wanted).equals(canonical(got));
                    mismatches += ok ? 0 : 1;
                    checked++;
                    System.out.println("PROBE thread=group " + g + " pid " + pid + " tid " + task.getFileName() + " ("
                            + comm + ") wanted " + wanted + " got " + got + " " + (ok ? "match" : "MISMATCH"));
                }
                long[] anon = anonPages(pid, new TreeSet<>(socket));
                anonOff += anon[1];
                anonTotal += anon[0];
            }
        }
        int othersNode = sockets.getLast().getFirst(); // generic policy: the least loaded socket, the last on a tie
        for (Path task : list(Path.of("/proc/" + motor.pid() + "/task"))) {
            String got = allowed(task);
            boolean ok = canonical(cpulist(othersNode)).equals(canonical(got));
            mismatches += ok ? 0 : 1;
            checked++;
            System.out.println("PROBE thread=other pid " + motor.pid() + " (Motor) wanted " + cpulist(othersNode)
                    + " got " + got + " " + (ok ? "match" : "MISMATCH"));
        }
        long[] anon = anonPages(motor.pid(), new TreeSet<>(List.of(othersNode)));
        anonOff += anon[1];
        anonTotal += anon[0];
        System.out.println("PROBE threadsChecked=" + checked);
        System.out.println("PROBE mismatches=" + mismatches);
        System.out.println("PROBE anonPages=" + anonTotal);
        System.out.println("PROBE anonOffPlannedNodes=" + anonOff);
        System.out.println("PROBE memoryLines=see the tp verify lines: file-backed pages that stayed are named there");
    }

    /** {total, off the allowed nodes} pages of a process's anonymous mappings (heap, stacks), from its numa_maps. */
    private static long[] anonPages(long pid, TreeSet<Integer> allowedNodes) throws IOException {
        long total = 0;
        long off = 0;
        Map<Integer, Long> byNode = new TreeMap<>();
        for (String line : read(Path.of("/proc/" + pid + "/numa_maps")).split("\n")) {
            if (!line.contains(" anon=") || line.contains(" file=")) {
                continue; // private copies in a file mapping (e.g. the JVM's CDS archive) are reported by tp, not judged
            }
            for (String field : line.split(" ")) {
                if (field.matches("N\\d+=\\d+")) {
                    int node = Integer.parseInt(field.substring(1, field.indexOf('=')));
                    long pages = Long.parseLong(field.substring(field.indexOf('=') + 1));
                    byNode.merge(node, pages, Long::sum);
                    total += pages;
                    if (!allowedNodes.contains(node)) {
                        off += pages;
                        System.out.println("PROBE offNode=pid " + pid + ": " + line);
                    }
                }
            }
        }
        System.out.println("PROBE anon=pid " + pid + " " + byNode + " allowed nodes " + allowedNodes);
        return new long[]{total, off};
    }

    /** Sockets as lists of node ids, ordered by their lowest node, from sysfs alone. */
    private static List<List<Integer>> sockets() throws IOException {
        Map<Integer, List<Integer>> byPackage = new TreeMap<>();
        for (int node = 0; Files.isDirectory(Path.of("/sys/devices/system/node/node" + node)); node++) {
            String cpus = cpulist(node);
            if (cpus.isEmpty()) {
                continue;
            }
            int firstCpu = Integer.parseInt(cpus.split("[-,]")[0]);
            int pkg = Integer.parseInt(read(Path.of("/sys/devices/system/cpu/cpu" + firstCpu
                    + "/topology/physical_package_id")).strip());
            byPackage.computeIfAbsent(pkg, k -> new ArrayList<>()).add(node);
        }
        List<List<Integer>> out = new ArrayList<>(byPackage.values());
        out.sort((a, b) -> Integer.compare(a.getFirst(), b.getFirst()));
        return out;
    }

    private static String cpulist(int node) throws IOException {
        return read(Path.of("/sys/devices/system/node/node" + node + "/cpulist")).strip();
    }

    private static String allowed(Path task) throws IOException {
        for (String line : read(task.resolve("status")).split("\n")) {
            if (line.startsWith("Cpus_allowed_list:")) {
                return line.substring("Cpus_allowed_list:".length()).strip();
            }
        }
        return "?";
    }

    /** "0-1" and "0,1" both as the set of ids. */
    private static TreeSet<Integer> canonical(String list) {
        TreeSet<Integer> ids = new TreeSet<>();
        for (String part : list.split(",")) {
            if (part.isBlank()) {
                continue;
            }
            String[] range = part.strip().split("-");
            int lo = Integer.parseInt(range[0]);
            int hi = range.length > 1 ? Integer.parseInt(range[1]) : lo;
            for (int i = lo; i <= hi; i++) {
                ids.add(i);
            }
        }
        return ids;
    }

    private static void awaitReady(int count) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(240));
        for (int g = 0; g < count; g++) {
            while (!Files.exists(SVC.resolve("ready-" + g))) {
                if (Files.exists(SVC.resolve("exit-" + g))) {
                    throw new IllegalStateException("worker " + g + " exited with status "
                            + read(SVC.resolve("exit-" + g)).strip() + " before it was ready");
                }
                if (Instant.now().isAfter(deadline)) {
                    throw new IllegalStateException("worker " + g + " did not start within 240 s");
                }
                Thread.sleep(200);
            }
        }
        System.out.println("PROBE ready=true");
    }

    private static void link(String name, String target) throws IOException {
        Files.createSymbolicLink(SVC.resolve(name), Path.of(target));
    }

    private static List<Path> list(Path dir) throws IOException {
        try (var s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }

    private static String read(Path file) throws IOException {
        return Files.readString(file, StandardCharsets.UTF_8);
    }
}
