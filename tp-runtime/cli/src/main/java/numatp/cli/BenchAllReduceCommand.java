package numatp.cli;

import numatp.cli.bench.AllReduceBench;
import numatp.cli.bench.AllReducePlot;
import numatp.cli.bench.AllReduceResult;
import numatp.cli.bench.ByteSizes;
import numatp.cli.bench.CacheLineRoundTrip;
import numatp.cli.bench.MemoryBandwidth;
import numatp.cli.bench.MpiAllReduceBench;
import numatp.cli.bench.ProcessAllReduceBench;
import numatp.cli.bench.RegionResult;
import numatp.collectives.Algorithm;
import numatp.collectives.CommunicatorConfig;
import numatp.collectives.shm.ProcessTransport;
import numatp.runtime.config.NumaTensorParallelConfig;
import numatp.runtime.engine.CollectiveSettings;
import numatp.runtime.engine.JitQuiet;
import numatp.runtime.plan.ModelMemory;
import numatp.runtime.plan.PlacementPlan;
import numatp.runtime.plan.PlacementPlanner;
import numatp.topology.IdSet;
import numatp.topology.NumatpException;
import numatp.topology.Topology;
import numatp.topology.binding.NumaBinder;
import numatp.topology.pinning.PinningPolicy;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code tp bench allreduce}: latency and bandwidth of each allreduce algorithm against the
 * memory-copy ceiling. Ranks are placed by the same configuration flags and planner as the
 * shards of {@code tp generate} ({@link ConfigOptions}), one thread per rank and no penalty
 * for crossing nodes unless the flags say otherwise.
 */
@Command(name = "allreduce",
        description = "Measure f32 allreduce latency and bandwidth per algorithm and size, against memory copy bandwidth."
                + " Ranks (--shards) are placed as tp plan places shards, except that here --numa-inter-node-penalty"
                + " defaults to 0 and --threads-per-shard to 1 (a rank is one thread); process ranks are not pinned.",
        modelTransformer = RequiredOptions.Shards.class)
final class BenchAllReduceCommand implements java.util.concurrent.Callable<Integer> {
    /** Ranks at most: one communicator's flags and slots per rank. */
    static final int MAX_RANKS = 256;

    @Mixin
    ConfigOptions options;

    @Mixin
    TopologyRootOptions topologyRoot;

    @Option(names = "--sizes", paramLabel = "SIZE", split = ",", converter = FlagConverters.PositiveSize.class,
            defaultValue = "1KiB,4KiB,16KiB,64KiB,256KiB,1MiB,4MiB,16MiB,64MiB",
            description = "Message sizes per rank (default: ${DEFAULT-VALUE}).")
    List<Long> sizes;

    @Option(names = "--algorithms", paramLabel = "A,...", description = "Algorithms to compare (default: the one"
            + " --collective-algorithm names, else auto,hierarchical,ring,oneshot).")
    String algorithms;

    @Option(names = "--iterations", description = "Timed calls per cell (default: by size, 10 to 2000).")
    Integer iterations;

    @Option(names = "--slot-bytes", paramLabel = "SIZE", defaultValue = "1MiB", converter = FlagConverters.PositiveSize.class,
            description = "Shared slot size per rank (default: ${DEFAULT-VALUE}).")
    long slot;

    @Option(names = "--idle", paramLabel = "SPEC", converter = FlagConverters.IdleSpec.Converter.class,
            description = "Waiting strategy with its parameters, overriding --idle-strategy: auto (by ranks per core),"
                    + " busy-spin, or backoff:SPINS:YIELDS:MIN_PARK_NS:MAX_PARK_NS (default: --idle-strategy's).")
    FlagConverters.IdleSpec idle;

    @Option(names = "--processes", description = "Run ranks as separate JVMs over /dev/shm instead of threads.")
    boolean processes;

    @Option(names = "--staged", description = "Each rank's buffer in its own memory, copied through the shared slots"
            + " (the process transport's only path before in-place buffers); default: buffers from the communicator,"
            + " which peers read in place (with --processes: in the shared file).")
    boolean staged;

    @Option(names = "--mpi", description = "Run under mpirun, one rank per process (--shards = mpirun -np):"
            + " numatp's three-tier allreduce (shared memory in each host, MPI between the hosts' leaders) against"
            + " MPI_Allreduce on the same ranks. Hosts: MPI_Get_processor_name, or NUMATP_MPI_HOST (see"
            + " docs/multi-host.md).")
    boolean mpi;

    @Mixin
    OutputFileOptions outputFile;

    @Option(names = "--plot", description = "Draw latency and bandwidth against size into this PNG.")
    Path plot;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    /**
     * Compiles the hot paths before anything is timed: every algorithm a cell can run, including
     * those {@code auto} dispatches to (warming {@code auto} at 4 KiB and up alone left oneshot,
     * which it runs below 2 KiB x ranks, to be compiled during the timed 1 KiB calls: medians of
     * 1.3-8 us with p99 up to 66 us instead of ~0.5 us). Repeated until the JIT has compiled
     * nothing for a while (at most 5 s more), see {@link JitQuiet}.
     */
    private static void warmUp(int[] nodeOfRank, int[] cpuOfRank, CommunicatorConfig config, List<Algorithm> algorithms,
                               boolean staged) throws InterruptedException {
        java.util.Set<Algorithm> run = new java.util.LinkedHashSet<>(algorithms);
        if (run.contains(Algorithm.AUTO)) {
            run.add(Algorithm.ONESHOT);
            run.add(Algorithm.HIERARCHICAL);
        }
        JitQuiet quiet = new JitQuiet(0, 5);
        do {
            for (Algorithm algorithm : run) {
                for (long[] cell : AllReduceBench.WARM_UP) {
                    AllReduceBench.run(algorithm, cell[0], (int) cell[1], nodeOfRank, cpuOfRank, config, 1e9, staged);
                }
            }
        } while (!quiet.reached()); // again until the JIT has been idle a while: late compilations share the cores
    }

    /**
     * Prints (and returns for the JSON) the cache-line round trip between rank 0's CPU and rank
     * 1's, and between rank 0's and the first rank on another node: the floor under a small
     * allreduce, which needs at least one such hand-off per synchronisation.
     */
    private static Map<String, Object> roundTrips(PrintWriter out, int[] nodeOfRank, int[] cpuOfRank)
            throws InterruptedException {
        Map<String, Object> json = new LinkedHashMap<>();
        if (nodeOfRank.length < 2) {
            return json;
        }
        int remote = -1;
        for (int r = 1; r < nodeOfRank.length && remote < 0; r++) {
            remote = nodeOfRank[r] != nodeOfRank[0] ? r : -1;
        }
        int[][] pairs = remote > 1 ? new int[][] {{0, 1}, {0, remote}} : new int[][] {{0, 1}};
        for (int[] pair : pairs) {
            int a = cpuOfRank == null ? -1 : cpuOfRank[pair[0]];
            int b = cpuOfRank == null ? -1 : cpuOfRank[pair[1]];
            double us = CacheLineRoundTrip.measureNs(a, b, 21, 10_000) / 1e3;
            boolean crossNode = nodeOfRank[pair[0]] != nodeOfRank[pair[1]];
            out.printf("cache-line round trip: %.2f µs (rank %d%s <-> rank %d%s, %s)%n", us, pair[0], cpuText(a), pair[1],
                    cpuText(b), crossNode ? "across nodes" : "same node");
            json.put(pair == pairs[0] ? "roundTripUs" : "roundTripInterNodeUs", us);
        }
        return json;
    }

    private static String cpuText(int cpu) {
        return cpu < 0 ? " unpinned" : " on CPU " + cpu;
    }

    /** {@code --algorithms}, or the configuration's algorithm when it names one, or all four. */
    private List<Algorithm> algorithms(Algorithm configured) {
        String list = algorithms != null ? algorithms
                : configured != Algorithm.AUTO ? configured.flagName() : "auto,hierarchical,ring,oneshot";
        List<Algorithm> parsed = new ArrayList<>();
        try {
            for (String a : list.split(",")) {
                parsed.add(Algorithm.parse("--algorithms", a));
            }
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        return parsed;
    }

    private static void printRow(PrintWriter out, AllReduceResult r) {
        out.printf("%-13s %-13s %6d %9s %9d %12.2f %12.2f %10.2f %9.1f%%%n", r.algorithm(), r.resolved(), r.shards(),
                ByteSizes.format(r.bytes()), r.iterations(), r.medianUs(), r.p99Us(), r.algBwGBs(), 100 * r.efficiency());
        out.flush();
    }

    /** Where the ranks' regions were: the last cell's, and each region that was off its node in any cell. */
    private static void printRegions(PrintWriter out, List<AllReduceResult> results) {
        if (results.isEmpty()) {
            return;
        }
        out.println("regions (last cell; per cell in the JSON):");
        for (RegionResult region : results.getLast().regions()) {
            out.println("  " + region.summary());
        }
        Map<String, Integer> offNode = new LinkedHashMap<>();
        for (AllReduceResult r : results) {
            for (RegionResult region : r.regions()) {
                if (region.obtainedNode() >= 0 && region.obtainedNode() != region.wantedNode()) {
                    offNode.merge(region.summary(), 1, Integer::sum);
                }
            }
        }
        offNode.forEach((summary, cells) -> out.printf("warning: region off its rank's node in %d of %d cells: %s%n",
                cells, results.size(), summary));
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        NumaTensorParallelConfig tp = options.toOneEngineConfig("tp bench allreduce",
                NumaTensorParallelConfig.builder().interNodePenalty(0).threadsPerShard(1));
        int shards = tp.shards();
        if (shards > MAX_RANKS) {
            throw new UsageException("--shards must be in [1, " + MAX_RANKS + "] here: " + shards);
        }
        for (long size : sizes) {
            if (size % 4 != 0) {
                throw new UsageException("--sizes must be multiples of 4 bytes (f32 elements): " + size);
            }
        }
        if (iterations != null && iterations < 1) {
            throw new UsageException("--iterations must be >= 1: " + iterations);
        }
        CommunicatorConfig config = CollectiveSettings.of(tp);
        List<Algorithm> algorithmList = algorithms(config.algorithm());
        try {
            config = config.withSlotBytes(slot);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--slot-bytes " + e.getMessage());
        }
        if (idle != null) {
            config = config.withIdle(idle.strategy());
        }
        if (mpi) {
            if (processes || staged || plot != null || outputFile.file != null) {
                throw new UsageException("--mpi runs under mpirun and prints its table only; drop --processes, --staged,"
                        + " --plot and --output-file");
            }
            MpiAllReduceBench.run(out, shards, sizes, iterations, config);
            return 0;
        }
        outputFile.checkWritable();
        // ranks placed as the planner places shards: contiguous per node, a CPU each where there are enough
        Topology topology = topologyRoot.detect();
        PlacementPlan plan = null;
        int[] nodes = tp.numaNodes().isEmpty() ? new int[] {0} : tp.numaNodes().toArray();
        try {
            plan = PlacementPlanner.plan(topology, tp, ModelMemory.NONE);
        } catch (NumatpException e) {
            // e.g. --numa-nodes 0,1 on a one-node machine, to exercise the multi-node paths
            err.println("warning: " + e.getMessage() + "; ranks are given to --numa-nodes "
                    + IdSet.of(nodes).toListString() + " in contiguous blocks and run unpinned"
                    + " (regions on nodes this machine lacks get plain memory)");
        }
        int[] nodeOfRank = new int[shards];
        for (int r = 0; r < shards; r++) {
            nodeOfRank[r] = plan != null ? plan.shard(r).node() : nodes[(int) ((long) r * nodes.length / shards)];
        }
        int[] cpuOfRank = null;
        if (plan == null) {
            // unpinned, said above
        } else if (topologyRoot.simulated()) {
            err.println("warning: --topology-root plans for a captured machine; rank threads run unpinned here and"
                    + " regions are bound only to nodes this machine has");
        } else if (tp.pinningPolicy() != PinningPolicy.NONE && !processes && NumaBinder.system().isNative()) {
            cpuOfRank = new int[shards];
            for (int r = 0; r < shards; r++) {
                cpuOfRank[r] = plan.shard(r).cpus().first();
            }
        }
        int cpus = Runtime.getRuntime().availableProcessors();
        double copyBw = MemoryBandwidth.measure(cpus, 128L << 20, 5);
        out.printf("memory copy bandwidth: %.1f GB/s (%d threads, read + write bytes)%n", copyBw / 1e9, cpus);
        Map<String, Object> roundTrips = roundTrips(out, nodeOfRank, cpuOfRank);
        out.printf("shards: %d, rank nodes: %s, rank CPUs: %s, transport: %s, buffers: %s, slot: %s%n", shards,
                Arrays.toString(nodeOfRank), cpuOfRank == null ? "unpinned" : Arrays.toString(cpuOfRank),
                processes ? "processes" : "threads", staged ? "staged" : "in place", ByteSizes.format(slot));
        out.printf("%-13s %-13s %6s %9s %9s %12s %12s %10s %10s%n", "algorithm", "ran", "shards", "bytes", "calls",
                "median µs", "p99 µs", "algBW GB/s", "efficiency");
        out.flush();
        List<AllReduceResult> results = new ArrayList<>();
        if (processes) {
            List<ProcessAllReduceBench.Cell> cells = new ArrayList<>();
            for (Algorithm algorithm : algorithmList) {
                for (long size : sizes) {
                    int k = iterations != null ? iterations : AllReduceBench.defaultIterations(size, shards);
                    cells.add(new ProcessAllReduceBench.Cell(algorithm, size, k));
                }
            }
            results.addAll(ProcessAllReduceBench.run(cells, nodeOfRank, slot, config.timeoutNs(), copyBw,
                    ProcessTransport.uniqueName(), staged));
            results.forEach(r -> printRow(out, r));
        } else {
            warmUp(nodeOfRank, cpuOfRank, config, algorithmList, staged);
            for (Algorithm algorithm : algorithmList) {
                for (long size : sizes) {
                    int k = iterations != null ? iterations : AllReduceBench.defaultIterations(size, shards);
                    AllReduceResult r = AllReduceBench.run(algorithm, size, k, nodeOfRank, cpuOfRank, config, copyBw, staged);
                    results.add(r);
                    printRow(out, r);
                }
            }
        }
        printRegions(out, results);
        if (outputFile.file != null) {
            Map<String, Object> machine = new LinkedHashMap<>();
            machine.put("cpus", cpus);
            machine.put("nodes", Arrays.stream(nodeOfRank).distinct().count());
            machine.put("memCopyGBs", copyBw / 1e9);
            machine.putAll(roundTrips);
            Map<String, Object> cfg = new LinkedHashMap<>();
            cfg.put("shards", shards);
            cfg.put("nodeOfRank", nodeOfRank);
            cfg.put("cpuOfRank", cpuOfRank);
            cfg.put("pinningPolicy", tp.pinningPolicy().name().toLowerCase(java.util.Locale.ROOT));
            cfg.put("sizes", sizes);
            cfg.put("algorithms", algorithmList.stream().map(Algorithm::flagName).toList());
            cfg.put("iterations", iterations);
            cfg.put("transport", processes ? "processes" : "threads");
            cfg.put("buffers", staged ? "staged" : "in place");
            cfg.put("slotBytes", slot);
            cfg.put("dataType", "f32");
            cfg.put("topologyRoot", topologyRoot.simulated() ? topologyRoot.root().toString() : null);
            BenchJson.write(outputFile.file, machine, cfg, results);
            out.println("wrote " + outputFile.file);
        }
        if (plot != null) {
            try {
                AllReducePlot.write(results, "allreduce, " + shards + " shards", plot);
            } catch (IOException e) {
                throw new UsageException("--plot cannot be written: " + plot + ": " + e.getMessage(), e);
            }
            out.println("wrote " + plot);
        }
        return 0;
    }
}
