package numatp.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import numatp.topology.IdSet;
import numatp.topology.NumaNode;
import numatp.topology.Topology;
import numatp.topology.TopologyDetector;
import numatp.topology.binding.NumaBinder;
import numatp.topology.diagnostics.CheckItem;
import numatp.topology.diagnostics.MemoryDiagnostics;
import numatp.topology.diagnostics.ResidencyReport;
import numatp.topology.diagnostics.SystemCheck;
import numatp.topology.diagnostics.SystemReport;
import numatp.topology.diagnostics.Verdict;
import numatp.topology.linux.MemPolicy;
import numatp.topology.memory.FallbackStep;
import numatp.topology.memory.HugePages;
import numatp.topology.memory.NodeAllocation;
import numatp.topology.memory.NodeMemory;
import numatp.topology.memory.NodeMemoryOptions;
import numatp.topology.memory.PlacementPolicy;
import numatp.topology.pinning.CpuOrder;
import numatp.topology.pinning.PinningPolicy;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code tp numa-check}: binds threads and memory to a node for real, then verifies
 * where they landed (getcpu, affinity, move_pages) and runs the system check.
 * Exit 0: everything matched; 3: a placement mismatch or a fallback; 2: bad arguments
 * or a node that cannot be used.
 */
@Command(name = "numa-check",
        description = "Bind threads and memory to a NUMA node, verify where they landed, and check the system.")
final class NumaCheckCommand implements Callable<Integer> {
    static final int EXIT_MISMATCH = 3;

    @Option(names = "--node", paramLabel = "N", required = true, description = "The NUMA node to check.")
    int node;

    @Option(names = "--size", paramLabel = "SIZE", defaultValue = "256MiB", converter = FlagConverters.PositiveSize.class,
            description = "Memory to allocate and first-touch (default ${DEFAULT-VALUE}).")
    long bytes;

    @Option(names = "--policy", paramLabel = "bind|preferred|interleave", defaultValue = "bind",
            description = "Memory policy (default ${DEFAULT-VALUE}); interleave spreads over the allowed nodes.")
    PlacementPolicy policy;

    @Option(names = "--hugepages", paramLabel = "off|thp|hugetlb", defaultValue = "off",
            description = "Huge pages (default ${DEFAULT-VALUE}).")
    HugePages hugePages;

    @Option(names = "--threads", paramLabel = "K", defaultValue = "1", description = "Threads to bind (default 1).")
    int threads;

    @Option(names = "--pinning", paramLabel = "scatter|compact", defaultValue = "scatter",
            description = "How the threads are laid over the node's CPUs (default ${DEFAULT-VALUE}).")
    PinningPolicy pinning;

    @Option(names = "--json", description = "Print the report as JSON.")
    boolean json;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        if (threads < 0 || threads > 4096) {
            throw new UsageException("--threads must be in [0, 4096]: " + threads);
        }
        if (policy == PlacementPolicy.PLAIN) {
            throw new UsageException("--policy must be bind, preferred or interleave: plain checks nothing");
        }
        if (pinning == PinningPolicy.NONE) {
            throw new UsageException("--pinning must be scatter or compact here: numa-check checks pinned threads");
        }
        Topology topology = TopologyDetector.detect();
        NumaNode target = usableNode(topology);
        IdSet cpus = pickCpus(topology, target);

        List<ThreadResult> threadResults = ThreadCheck.run(NumaBinder.system(), node, cpus, threads);
        NodeMemoryOptions options = NodeMemoryOptions.defaults().withPolicy(policy).withHugePages(hugePages)
                .withInterleaveNodes(policy == PlacementPolicy.INTERLEAVE ? topology.allowedNodes() : IdSet.empty());
        ResidencyReport residency;
        List<FallbackStep> fallbacks;
        String placementSummary;
        try (NodeAllocation allocation = NodeMemory.system().allocate(bytes, node, options)) {
            fallbacks = allocation.placement().fallbackSteps();
            placementSummary = allocation.placement().summary();
            residency = MemoryDiagnostics.check(allocation.segment(), node, "numa-check memory");
        }
        SystemReport system = SystemCheck.run();

        boolean threadsOk = threadResults.stream().allMatch(ThreadResult::matches);
        boolean memoryOk = policy == PlacementPolicy.INTERLEAVE
                || residency.verdict() == Verdict.MATCH || residency.verdict() == Verdict.UNKNOWN;
        boolean ok = threadsOk && memoryOk && fallbacks.isEmpty();
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(json(threadResults, residency, placementSummary, fallbacks, system, ok));
        } else {
            text(out, cpus, threadResults, residency, placementSummary, fallbacks, system, ok);
        }
        out.flush();
        return ok ? 0 : EXIT_MISMATCH;
    }

    private NumaNode usableNode(Topology topology) {
        if (!topology.complete().nodeIds().contains(node)) {
            throw new UsageException("--node " + node + ": no such node (online nodes: "
                    + topology.complete().nodeIds().toListString() + ")");
        }
        if (!topology.allowedNodes().contains(node)) {
            throw new UsageException("--node " + node + ": this process may not allocate on it (the cgroup cpuset"
                    + " allows memory nodes " + topology.allowedNodes().toListString() + ")");
        }
        NumaNode target = topology.complete().node(node);
        if (threads > 0 && target.cpus().intersect(topology.allowedCpus()).isEmpty()) {
            throw new UsageException("--node " + node + " has no CPUs " + (target.hasCpus()
                    ? "this process may use (allowed CPUs: " + topology.allowedCpus().toListString() + ")"
                    : "(a memory-only node)") + ": threads cannot run there; use --threads 0 to check memory only");
        }
        return target;
    }

    private IdSet pickCpus(Topology topology, NumaNode target) {
        IdSet usable = target.cpus().intersect(topology.allowedCpus());
        if (threads > usable.size()) {
            throw new UsageException("--threads " + threads + " exceeds node " + node + "'s " + usable.size()
                    + " usable CPUs (" + usable.toListString() + ")");
        }
        return CpuOrder.pick(topology.complete(), usable, pinning, threads);
    }

    private void text(PrintWriter out, IdSet cpus, List<ThreadResult> threadResults, ResidencyReport residency,
                      String placementSummary, List<FallbackStep> fallbacks, SystemReport system, boolean ok) {
        out.println("threads: " + threads + " on node " + node + " (" + pinning.name().toLowerCase() + ": CPUs "
                + (cpus.isEmpty() ? "-" : cpus.toListString()) + ")");
        for (ThreadResult t : threadResults) {
            out.println("  " + t.describe());
        }
        out.println("memory: " + placementSummary);
        for (FallbackStep step : fallbacks) {
            out.println("  fallback: " + step.message());
        }
        out.println("  " + residency.message());
        out.println("system:");
        for (CheckItem item : system.items()) {
            out.println("  " + item.toText());
        }
        out.println(ok ? "result: match" : "result: MISMATCH (exit " + EXIT_MISMATCH + ")");
    }

    private String json(List<ThreadResult> threadResults, ResidencyReport residency, String placementSummary,
                        List<FallbackStep> fallbacks, SystemReport system, boolean ok) {
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = mapper.createObjectNode();
        root.put("node", node);
        root.put("sizeBytes", bytes);
        root.put("policy", policy.name().toLowerCase());
        root.put("hugepages", hugePages.name().toLowerCase());
        ArrayNode threadsNode = root.putArray("threads");
        for (ThreadResult t : threadResults) {
            ObjectNode n = threadsNode.addObject();
            n.put("thread", t.index());
            n.put("pinnedCpu", t.pinnedCpu());
            n.put("observedCpu", t.observedCpu());
            n.put("observedNode", t.observedNode());
            n.put("affinity", t.affinity().toListString());
            n.put("match", t.matches());
            if (t.error() != null) {
                n.put("error", t.error());
            }
        }
        ObjectNode memory = root.putObject("memory");
        memory.put("placement", placementSummary);
        memory.put("verdict", residency.verdict().name().toLowerCase());
        memory.put("report", residency.message());
        ArrayNode steps = memory.putArray("fallbacks");
        fallbacks.forEach(f -> steps.add(f.message()));
        memory.set("bytesByNode", mapper.valueToTree(residency.residency().bytesByNode()));
        ArrayNode checks = root.putArray("system");
        for (CheckItem item : system.items()) {
            ObjectNode n = checks.addObject();
            n.put("name", item.name());
            n.put("status", item.status().name().toLowerCase());
            n.put("value", item.value());
            n.put("recommendation", item.recommendation());
        }
        root.put("match", ok);
        try {
            return mapper.writeValueAsString(root);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** One bound thread's outcome. */
    record ThreadResult(int index, int pinnedCpu, int observedCpu, int observedNode, IdSet affinity, int node,
                        String error) {
        boolean matches() {
            return error == null && observedNode == node && observedCpu == pinnedCpu
                    && affinity.equals(IdSet.of(pinnedCpu));
        }

        String describe() {
            if (error != null) {
                return "thread " + index + ": " + error;
            }
            return "thread " + index + ": pinned to CPU " + pinnedCpu + ", running on CPU " + observedCpu + " (node "
                    + observedNode + "), affinity " + affinity.toListString() + (matches() ? " (match)" : " (MISMATCH)");
        }
    }

    /** Starts the threads, each binding itself before it reports. */
    static final class ThreadCheck {
        private ThreadCheck() {
        }

        static List<ThreadResult> run(NumaBinder binder, int node, IdSet cpus, int count) throws InterruptedException {
            int[] chosen = cpus.toArray();
            ThreadResult[] results = new ThreadResult[count];
            List<Thread> started = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                int index = i;
                Thread thread = Thread.ofPlatform().name("numa-check-" + i).start(() -> {
                    try {
                        binder.pinCurrentThreadToCpus(IdSet.of(chosen[index]));
                        binder.bindCurrentThreadMemory(node, MemPolicy.BIND);
                        results[index] = new ThreadResult(index, chosen[index], binder.currentCpu(),
                                binder.currentNode(), binder.currentThreadAffinity(), node, null);
                    } catch (RuntimeException e) {
                        results[index] = new ThreadResult(index, chosen[index], -1, -1, IdSet.empty(), node,
                                e.getMessage());
                    }
                });
                started.add(thread);
            }
            for (Thread thread : started) {
                thread.join();
            }
            return List.of(results);
        }
    }
}
