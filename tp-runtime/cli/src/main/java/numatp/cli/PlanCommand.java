package numatp.cli;

import numatp.runtime.plan.ModelMemory;
import numatp.runtime.plan.MultiHostPlan;
import numatp.runtime.plan.MultiHostPlanner;
import numatp.runtime.plan.PlacementPlan;
import numatp.runtime.plan.PlacementPlanner;
import numatp.runtime.plan.ReplicaPlan;
import numatp.runtime.plan.ReplicaPlanner;
import numatp.topology.Topology;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code tp plan}: shows where each shard would run, without running anything. */
@Command(name = "plan", description = "Plan which shard runs on which NUMA node and CPUs, and explain why."
        + " With several --topology-root captures, plan over several hosts (one capture each).")
final class PlanCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;

    @Mixin
    TopologyRootOptions topologyRoot;

    @Option(names = "--model", paramLabel = "FILE",
            description = "The model to place; its size on disk is taken as the weights, split evenly over the shards.")
    Path model;

    @Option(names = "--model-bytes", paramLabel = "SIZE", converter = FlagConverters.Size.class,
            description = "Model size instead of --model, e.g. 14GiB, split evenly over the shards.")
    Long modelBytes;

    @Option(names = "--json", description = "Print the plan as JSON.")
    boolean json;

    @Option(names = "--report", paramLabel = "FILE.md", description = "Also write a Markdown report of the plan.")
    Path report;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        var config = options.toConfig();
        if (topologyRoot.hosts() > 1) {
            return multiHost(config);
        }
        Topology topology = topologyRoot.detect();
        if (config.replicas() != 1) {
            return replicas(topology, config);
        }
        PlacementPlan plan = PlacementPlanner.plan(topology, config, memory(config.shards()));
        PrintWriter out = spec.commandLine().getOut();
        out.print(json ? PlanOutput.jsonText(plan) : PlanOutput.text(plan));
        out.flush();
        if (report != null) {
            String machine = topologyRoot.simulated() ? "capture " + topologyRoot.root() : "this machine";
            String command = "tp plan " + String.join(" ", spec.commandLine().getParseResult().originalArgs());
            try {
                Files.writeString(report, PlanOutput.markdown(plan, machine, command));
            } catch (IOException e) {
                throw new UsageException("--report: cannot write " + report + ": " + e.getMessage());
            }
        }
        return 0;
    }

    /** {@code --replicas auto|N}: the layout, then each replica's plan (see {@link ReplicaPlanner}). */
    private int replicas(Topology topology, numatp.runtime.config.NumaTensorParallelConfig config) {
        if (report != null) {
            throw new UsageException("--report takes one engine's plan; with --replicas use --json");
        }
        ReplicaPlan plan = ReplicaPlanner.plan(topology, config, memory(config.shards()));
        PrintWriter out = spec.commandLine().getOut();
        out.print(json ? PlanOutput.jsonText(plan) : PlanOutput.text(plan));
        out.flush();
        return 0;
    }

    /** Several captures: one host each, shards split among them (see {@link MultiHostPlanner}). */
    private int multiHost(numatp.runtime.config.NumaTensorParallelConfig config) {
        if (report != null) {
            throw new UsageException("--report takes one host; with several --topology-root captures use --json");
        }
        if (config.replicas() != 1) {
            throw new UsageException("--replicas plans one host; with several --topology-root captures every host"
                    + " joins one engine");
        }
        List<String> names = topologyRoot.roots.stream().map(Path::toString).toList();
        MultiHostPlan plan = MultiHostPlanner.plan(topologyRoot.detectAll(), names, config, memory(config.shards()));
        PrintWriter out = spec.commandLine().getOut();
        out.print(json ? PlanOutput.jsonText(plan) : PlanOutput.text(plan));
        out.flush();
        return 0;
    }

    private ModelMemory memory(int shards) {
        if (model != null && modelBytes != null) {
            throw new UsageException("give --model or --model-bytes, not both");
        }
        if (model != null) {
            try {
                return ModelMemory.splitEvenly(Files.size(model), shards);
            } catch (IOException e) {
                throw new UsageException("--model: cannot read " + model + ": " + e.getMessage());
            }
        }
        if (modelBytes != null) {
            return ModelMemory.splitEvenly(modelBytes, shards);
        }
        return ModelMemory.NONE;
    }
}
