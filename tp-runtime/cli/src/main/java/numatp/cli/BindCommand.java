package numatp.cli;

import numatp.topology.IdSet;
import numatp.topology.NumaNode;
import numatp.topology.Topology;
import numatp.topology.TopologyDetector;
import numatp.topology.bind.ApplyStep;
import numatp.topology.bind.BindCalls;
import numatp.topology.bind.BindConfig;
import numatp.topology.bind.BindException;
import numatp.topology.bind.BindPlan;
import numatp.topology.bind.BindPlanner;
import numatp.topology.bind.BindPolicy;
import numatp.topology.bind.BindReport;
import numatp.topology.bind.BindVerifier;
import numatp.topology.bind.Binder;
import numatp.topology.bind.DeviceClass;
import numatp.topology.bind.DeviceReader;
import numatp.topology.bind.GroupBy;
import numatp.topology.bind.ProcReader;
import numatp.topology.bind.ProcessCheck;
import numatp.topology.linux.LinuxNuma;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * {@code tp bind}: bind services numatp does not start itself. A dry run (the default) prints the
 * plan; {@code --apply} sets every selected thread's CPU affinity and moves pages, then reads the
 * result back; {@code --verify} only reads back. Exit 0: done (or planned); 1: some step failed or
 * a thread is off its CPUs; 2: bad arguments.
 */
@Command(name = "bind", description = {
        "Plan (dry run), apply and verify CPU and memory binding of running processes: groups per socket,",
        "forward threads on the socket's second node, other services on one socket (docs/operations.md)."})
final class BindCommand implements Callable<Integer> {
    enum Preset { GENERIC, A3 }

    @Option(names = "--group-pattern", paramLabel = "REGEX",
            description = "Processes (name or command line) that form groups; repeatable.")
    List<String> groupPatterns = new ArrayList<>();

    @Option(names = "--other-pattern", paramLabel = "REGEX",
            description = "Background processes that share one socket; repeatable.")
    List<String> otherPatterns = new ArrayList<>();

    @Option(names = "--forward-thread-pattern", paramLabel = "REGEX",
            description = "Threads (by name) that run on the socket's second node; repeatable.")
    List<String> forwardPatterns = new ArrayList<>();

    @Option(names = "--preset", paramLabel = "generic|a3", defaultValue = "generic",
            description = "generic: groups round-robin over any topology; a3: 4 groups per socket, others on socket 2"
                    + " (default ${DEFAULT-VALUE}).")
    Preset preset;

    @Option(names = "--config", paramLabel = "FILE.json",
            description = "The policy as JSON: groups_per_socket, others_socket_index, group_patterns, other_patterns,"
                    + " forward_thread_patterns, report.")
    Path config;

    @Option(names = "--group-by", paramLabel = "tree|parent|process",
            description = "How selected processes form groups: tree (default: a process joins its highest matching"
                    + " ancestor, e.g. a scheduler and the workers it started), parent (tree, then leaders sharing a"
                    + " launcher merge), process (each process alone).")
    String groupBy;

    @Option(names = "--by-device", paramLabel = "accel|gpu|nic",
            description = "Bind the N-th selected process (pid order) to the node of the N-th device of this class,"
                    + " read from sysfs (accel: /sys/class/accel, gpu: PCI class 0x03, nic: PCI-backed /sys/class/net);"
                    + " a device without a node goes round-robin over the nodes.")
    String byDevice;

    @Option(names = "--root", paramLabel = "DIR|FILE.tar.gz",
            description = "Plan for a captured tree (sys/ and proc/) instead of this machine (dry run or --verify only).")
    Path root;

    @Option(names = "--apply", description = "Bind the processes (sched_setaffinity per thread, migrate_pages), then verify.")
    boolean apply;

    @Option(names = "--verify", description = "Read back each thread's CPUs and each process's pages against the plan.")
    boolean verify;

    @Option(names = "--json", description = "Print plan, apply steps and checks as JSON.")
    boolean json;

    @Option(names = "--report", paramLabel = "FILE.md", description = "Write a Markdown report (plan, applied, verified).")
    Path report;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        if (apply && root != null) {
            throw new UsageException("--apply binds processes on this machine: it cannot be combined with --root "
                    + root);
        }
        BindPolicy policy = policy();
        Path readFrom = root == null ? Path.of("/") : TopologySource.open(root, "--root");
        Topology topology = root == null ? TopologyDetector.detect() : TopologyDetector.detect(readFrom);
        Set<Long> skip = new HashSet<>();
        for (Optional<ProcessHandle> h = Optional.of(ProcessHandle.current()); root == null && h.isPresent();
             h = h.get().parent()) {
            skip.add(h.get().pid()); // this JVM and its ancestors: their command lines hold the patterns
        }
        String name = root == null ? "/" : root.toString();
        DeviceReader.Scan devices = devices(readFrom);
        BindPlan plan = BindPlanner.plan(topology, policy, new ProcReader(readFrom).processes(skip), name, devices);
        List<ApplyStep> steps = List.of();
        if (apply) {
            IdSet nodes = IdSet.of(topology.nodes().stream().mapToInt(NumaNode::id).toArray());
            steps = Binder.apply(plan, BindCalls.of(LinuxNuma.system()), nodes);
        }
        List<ProcessCheck> checks = apply || verify ? new BindVerifier(readFrom).verify(plan) : List.of();
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(BindReport.json(plan, steps, checks));
        } else {
            out.print(plan.toText());
            out.print(apply ? BindReport.applyText(plan, steps) : apply || verify ? "" : "dry run: nothing changed"
                    + " (--apply to bind)\n");
            out.print(checks.isEmpty() ? "" : BindReport.verifyText(checks));
        }
        Path reportFile = report != null ? report : policy.report() == null ? null : Path.of(policy.report());
        if (reportFile != null) {
            writeReport(reportFile, BindReport.markdown(plan, steps, checks));
            if (!json) {
                out.println("report: " + reportFile);
            }
        }
        out.flush();
        boolean failed = steps.stream().anyMatch(s -> s.status() == ApplyStep.Status.FAILED);
        return failed || !BindReport.verified(checks) ? TpMain.EXIT_FAILURE : 0;
    }

    private DeviceReader.Scan devices(Path readFrom) {
        if (byDevice == null) {
            return null;
        }
        try {
            return new DeviceReader(readFrom).read(DeviceClass.parse(byDevice));
        } catch (BindException e) {
            throw new UsageException(e.getMessage(), e); // no such device here: nothing can be planned
        }
    }

    private BindPolicy policy() {
        BindPolicy policy = basePolicy();
        if (groupBy == null) {
            return policy;
        }
        try {
            return policy.withGroupBy(GroupBy.parse(groupBy, "--group-by"));
        } catch (BindException e) {
            throw new UsageException(e.getMessage(), e);
        }
    }

    private BindPolicy basePolicy() {
        try {
            if (config != null) {
                if (!groupPatterns.isEmpty() || !otherPatterns.isEmpty() || !forwardPatterns.isEmpty()) {
                    throw new UsageException("give either --config or the --*-pattern flags, not both");
                }
                if (!Files.isRegularFile(config)) {
                    throw new UsageException("--config " + config + ": no such file");
                }
                return BindConfig.read(config);
            }
            return preset == Preset.A3 ? BindPolicy.a3(groupPatterns, otherPatterns, forwardPatterns)
                    : BindPolicy.generic(groupPatterns, otherPatterns, forwardPatterns);
        } catch (BindException e) {
            throw new UsageException(e.getMessage(), e);
        }
    }

    private static void writeReport(Path file, String markdown) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.writeString(file, markdown, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UsageException("--report " + file + ": cannot write (" + e.getMessage() + ")", e);
        }
    }
}
