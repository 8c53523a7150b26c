package numatp.cli;

import numatp.runtime.plan.ModelMemory;
import numatp.runtime.plan.NodeBudget;
import numatp.runtime.plan.PlacementPlan;
import numatp.runtime.plan.PlacementPlanner;
import numatp.runtime.plan.ShardPlacement;
import numatp.topology.IdSet;
import numatp.topology.Topology;
import numatp.topology.TopologyDetector;
import numatp.topology.doctor.Doctor;
import numatp.topology.doctor.DoctorInput;
import numatp.topology.doctor.DoctorJson;
import numatp.topology.doctor.DoctorReport;
import numatp.topology.doctor.Samples;
import numatp.topology.linux.KernelFiles;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * {@code tp doctor}: is this host ready to serve the plan the flags describe? Each check
 * (docs/operations.md) answers ok, warn, fail or unknown with the fix. Exit 0: ready;
 * 3: warnings; 2: some check failed (or bad arguments).
 */
@Command(name = "doctor", description = {
        "Check whether this host is ready to serve: CPU governor, NUMA balancing, huge pages, swap, IRQs,",
        "cgroup limits, busy processes and steal on the planned CPUs, SMT. Exit 0 ready, 3 warnings, 2 not ready."})
final class DoctorCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;

    @Option(names = "--root", paramLabel = "DIR|FILE.tar.gz",
            description = "Check a captured tree (a directory or a tp topology --capture archive) instead of /.")
    Path root;

    @Option(names = "--sample-interval", paramLabel = "SECONDS", defaultValue = "1",
            description = "How long to watch CPU time for busy processes and steal (default ${DEFAULT-VALUE};"
                    + " 0 skips them: unknown).")
    double sampleIntervalSeconds;

    @Option(names = "--json", description = "Print the report as JSON (fields: docs/operations.md).")
    boolean json;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        if (!(sampleIntervalSeconds >= 0 && sampleIntervalSeconds <= 60)) {
            throw new UsageException("--sample-interval must be in [0, 60] seconds: " + sampleIntervalSeconds);
        }
        var config = options.toOneEngineConfig("tp doctor");
        Path readFrom = root == null ? Paths.get("/") : TopologySource.open(root, "--root");
        Topology topology = root == null ? TopologyDetector.detect() : TopologyDetector.detect(readFrom);
        PlacementPlan plan = PlacementPlanner.plan(topology, config, ModelMemory.NONE);
        IdSet cpus = IdSet.empty();
        for (ShardPlacement s : plan.shards()) {
            cpus = cpus.union(s.cpus());
        }
        IdSet nodes = IdSet.of(plan.usedNodes().stream().mapToInt(NodeBudget::id).toArray());
        KernelFiles files = new KernelFiles(readFrom);
        Samples samples = Samples.take(files, Duration.ofMillis(Math.round(sampleIntervalSeconds * 1000)),
                Samples.Pause.SLEEP);
        long self = root == null ? ProcessHandle.current().pid() : -1;
        DoctorInput input = new DoctorInput(files, topology, cpus, nodes, config.shards(), self, samples);
        DoctorReport report = Doctor.standard().run(input, root == null ? "/" : root.toString());
        PrintWriter out = spec.commandLine().getOut();
        out.print(json ? DoctorJson.toJson(report) + "\n" : report.toText());
        out.flush();
        return report.exitCode();
    }
}
