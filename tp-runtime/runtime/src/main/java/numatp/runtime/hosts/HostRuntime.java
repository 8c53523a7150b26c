package numatp.runtime.hosts;

import numatp.collectives.Communicator;
import numatp.collectives.ElementType;
import numatp.collectives.mpi.FfmMpiLibrary;
import numatp.collectives.mpi.MpiCommunicator;
import numatp.collectives.mpi.MpiSession;
import numatp.collectives.mpi.MpiWatchdog;
import numatp.collectives.mpi.MultiHostCommunicator;
import numatp.collectives.team.ShardGroup;
import numatp.models.tp.LocalShards;
import numatp.models.tp.TpEngine;
import numatp.models.tp.WeightPlacement;
import numatp.runtime.config.NumaTensorParallelConfig;
import numatp.runtime.config.WorkerLayout;
import numatp.runtime.engine.CollectiveSettings;
import numatp.runtime.engine.EngineRuntime;
import numatp.runtime.engine.ModelFootprint;
import numatp.runtime.plan.MultiHostPlanner;
import numatp.runtime.plan.PlacementPlan;
import numatp.runtime.plan.PlacementPlanner;
import numatp.runtime.workers.BindingReport;
import numatp.runtime.workers.ResidencyReport;
import numatp.runtime.workers.ShardWorkers;
import numatp.topology.Topology;
import numatp.topology.binding.NumaBinder;
import numatp.topology.binding.ShardBinding;
import numatp.weights.ArenaSliceAllocator;
import numatp.weights.ModelTensors;
import numatp.weights.NodeSliceAllocator;
import numatp.weights.SliceAllocator;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The hosts layout ({@code --workers mpi}) as an {@link EngineRuntime}: every process of an
 * {@code mpirun} job calls {@link #start}; each holds the same number of consecutive shards
 * ({@link RankShards}: {@code --shards} a multiple of {@code mpirun -np}), one thread team each.
 * Each process plans its host's shards (its host's ranks times the shards per rank) on its own
 * topology with the threads planner (the same plan on every rank of a host: the planner is
 * deterministic), takes its own shards' part, pins their threads and memory to their planned
 * nodes and CPUs, maps the model itself, and joins the three-tier communicator
 * ({@link MultiHostCommunicator}: one handle per shard). Every rank's binding and residency
 * lines are gathered to rank 0 for its start-up report.
 *
 * <p>World rank 0 gets the runtime back and drives it ({@link HostEngine}); on every other rank
 * {@link #start} follows rank 0's steps until it stops, then ends the process: such a process
 * exists only to hold its shards.
 */
public final class HostRuntime implements EngineRuntime {
    /** Bytes of report text each rank sends to rank 0 (longer reports are cut). */
    static final int REPORT_BYTES = 8192;

    private final MpiSession session;
    private final RankShards split;
    private final PlacementPlan plan;
    private final HostEngine engine;
    private final ShardGroup group;
    private final NodeSliceAllocator nodeSlices;
    private final Arena sliceArena;
    private final List<String> reports; // by world rank, each rank's lines joined by '\n'
    private final String layout;
    private final long startNs;
    private final LivenessWatch watch;
    private boolean closed;

    private HostRuntime(MpiSession session, RankShards split, PlacementPlan plan, HostEngine engine, ShardGroup group,
                        NodeSliceAllocator nodeSlices, Arena sliceArena, List<String> reports, String layout,
                        long startNs, LivenessWatch watch) {
        this.session = session;
        this.split = split;
        this.plan = plan;
        this.engine = engine;
        this.group = group;
        this.nodeSlices = nodeSlices;
        this.sliceArena = sliceArena;
        this.reports = reports;
        this.layout = layout;
        this.startNs = startNs;
        this.watch = watch;
    }

    /**
     * Joins the MPI job and starts this rank's shards of {@code model} (opened here from
     * {@code modelFile}, which every host must have at the same path). Returns on world rank 0
     * only; the other ranks follow its steps and then exit (status 0 after its stop, 1 after a
     * failed step, which also ends the job).
     */
    public static HostRuntime start(ModelTensors model, NumaTensorParallelConfig config, Topology topology,
                                    boolean simulated, TpEngine.Capacity capacity, Consumer<String> log) {
        long t0 = System.nanoTime();
        long timeoutMs = TimeUnit.NANOSECONDS.toMillis(CollectiveSettings.of(config).timeoutNs());
        MpiSession session = MpiSession.start(FfmMpiLibrary.load(), timeoutMs);
        try {
            int shards = config.shards();
            RankShards split = new RankShards(shards, session.worldSize());
            int perRank = split.perRank();
            int rank = session.worldRank();
            int host = session.hostOfRank(rank);
            int hostRanks = 0;
            int localRank = 0;
            for (int r = 0; r < session.worldSize(); r++) {
                if (session.hostOfRank(r) == host) {
                    localRank += r < rank ? 1 : 0;
                    hostRanks++;
                }
            }
            // The host's shards (its ranks' shards in order) planned as one thread team each; this rank takes its own.
            PlacementPlan plan = PlacementPlanner.plan(topology, config.toBuilder().shards(hostRanks * perRank)
                            .workers(WorkerLayout.THREADS).build(),
                    ModelFootprint.of(model, shards, capacity.slots(), capacity.slotPositions()));
            if (rank == 0) {
                for (String warning : plan.warnings()) {
                    log.accept("warning: " + warning);
                }
            }
            List<ShardBinding> planned = ShardWorkers.bindings(plan);
            List<ShardBinding> teams = new ArrayList<>();
            for (int i = 0; i < perRank; i++) {
                ShardBinding b = planned.get(localRank * perRank + i);
                teams.add(new ShardBinding(i, b.node(), b.cpus(), b.threads(), b.shareCpus()));
            }
            ShardGroup group = ShardGroup.start(teams, ShardWorkers.options(plan, simulated), NumaBinder.system());
            NodeSliceAllocator nodeSlices = null;
            Arena sliceArena = null;
            LocalShards local = null;
            MpiCommunicator world = null;
            try {
                nodeSlices = simulated ? null : NodeSliceAllocator.system();
                sliceArena = simulated ? Arena.ofShared() : null;
                SliceAllocator slices = simulated ? new ArenaSliceAllocator(sliceArena) : nodeSlices;
                Communicator[] comms = MultiHostCommunicator.join(session, perRank, plan.nodeOfRank(),
                        CollectiveSettings.of(config)).toArray(new Communicator[0]);
                int[] held = split.heldBy(rank);
                local = new LocalShards(model, shards, held, group, capacity, slices, comms, config.reduction());
                world = session.worldCommunicator();
                List<String> reports = gatherReports(world, report(session, group, rank, held, local.placement()));
                String layout = checkLayout(session, world, topology.allowed().coreCount(), split, log);
                if (rank != 0) {
                    LivenessBeacon beacon = LivenessChannel.follower(session, world, timeoutMs);
                    beacon.start(LivenessChannel.beatMs(timeoutMs), LivenessChannel.silentMs(timeoutMs),
                            detail -> endFollower(session, detail));
                    int status = follow(session, local, world, capacity, beacon);
                    beacon.close();
                    close(local, world, group, nodeSlices, sliceArena);
                    session.close();
                    System.out.flush();
                    System.exit(status);
                }
                LivenessWatch watch = LivenessChannel.rankZero(session, world, timeoutMs);
                HostEngine engine = new HostEngine(local, world, capacity, shards + " shards on "
                        + session.worldSize() + " MPI ranks on " + session.hosts() + " host"
                        + (session.hosts() == 1 ? "" : "s"));
                long silentMs = LivenessChannel.silentMs(timeoutMs);
                watch.start(LivenessChannel.beatMs(timeoutMs), silentMs, loss -> lost(engine, loss, silentMs));
                engine.beforeStop(() -> watch.close(null)); // the followers hear "bye" before the stop
                return new HostRuntime(session, split, plan, engine, group, nodeSlices, sliceArena, reports, layout,
                        System.nanoTime() - t0, watch);
            } catch (RuntimeException e) {
                close(local, world, group, nodeSlices, sliceArena);
                throw e;
            }
        } catch (RuntimeException e) {
            if (session.worldSize() > 1) {
                // The other ranks wait for this one in a collective: end the job now rather than at their timeout.
                session.abortJob("world rank " + session.worldRank() + ": " + e.getMessage(), 1);
            }
            session.close();
            throw e;
        }
    }

    /**
     * Gathers every host's allowed cores and compares the shards mpirun's mapping gives each host
     * (its ranks times {@link RankShards#perRank}) with what the multi-host planner gives
     * ({@link MultiHostPlanner#shardsPerHost}): one line describing the hosts, and on rank 0 a
     * warning to {@code log} when they differ.
     */
    static String checkLayout(MpiSession session, MpiCommunicator world, int allowedCores, RankShards split,
                              Consumer<String> log) {
        int[] coresOfRank = world.allGatherInt(allowedCores);
        int hosts = session.hosts();
        int[] cores = new int[hosts];
        int[] ranks = new int[hosts];
        for (int r = 0; r < coresOfRank.length; r++) {
            int h = session.hostOfRank(r);
            cores[h] = coresOfRank[r]; // every rank of a host reads the same topology
            ranks[h]++;
        }
        String[] names = new String[hosts];
        for (int h = 0; h < hosts; h++) {
            names[h] = session.hostName(h);
        }
        String line = describeHosts(names, cores, ranks, split.perRank(),
                MultiHostPlanner.shardsPerHost(split.shards(), cores));
        if (line.contains("(planner: ") && session.worldRank() == 0) {
            log.accept("warning: the shards mpirun's ranks give each host differ from the planner's (shards in"
                    + " proportion to each host's allowed cores): " + line.substring("hosts: ".length()) + "; a host"
                    + " with fewer cores per shard slows every step (map ranks with --map-by ppr:N:node or a"
                    + " hostfile's slots)");
        }
        return line;
    }

    /**
     * The hosts line: {@code hosts: a (2 cores) ranks 1 x 2 shards, b (2 cores) ranks 1 x 2 shards},
     * with {@code (planner: N)} after a host whose shards differ from {@code planned[h]}.
     */
    static String describeHosts(String[] names, int[] cores, int[] ranks, int perRank, int[] planned) {
        StringBuilder line = new StringBuilder("hosts:");
        for (int h = 0; h < names.length; h++) {
            int shards = ranks[h] * perRank;
            line.append(h == 0 ? " " : ", ").append(names[h]).append(" (").append(cores[h])
                    .append(cores[h] == 1 ? " core) ranks " : " cores) ranks ")
                    .append(ranks[h]).append(" x ").append(perRank).append(perRank == 1 ? " shard" : " shards");
            if (planned[h] != shards) {
                line.append(" (planner: ").append(planned[h]).append(')');
            }
        }
        return line.toString();
    }

    /**
     * Whether this process was started by mpirun as world rank 0 (or not by mpirun): what a command
     * may know before MPI starts, to let only rank 0 print its report. {@link #start} decides the
     * role itself.
     */
    public static boolean launchedAsRankZero() {
        String rank = System.getenv("OMPI_COMM_WORLD_RANK");
        return rank == null || rank.strip().equals("0");
    }

    /** Rank 0 lost a rank: the engine is given up (its requests get a 503 naming the rank), and it says so. */
    private static void lost(HostEngine engine, RankLoss loss, long silentMs) {
        String detail = loss.describe(silentMs);
        System.err.println("error: " + detail + "; the engine cannot continue: failing the requests in flight (503)"
                + " and ending the job");
        System.err.flush();
        engine.abandon(detail);
    }

    /** A follower lost rank 0 (or rank 0 ended the job): it cannot be told to stop, so it ends itself. */
    private static void endFollower(MpiSession session, String detail) {
        System.err.println("error: world rank " + session.worldRank() + " (host "
                + session.hostName(session.hostOfRank(session.worldRank())) + "): " + detail
                + "; ending this process so that mpirun ends the job");
        System.err.flush();
        Runtime.getRuntime().halt(MpiWatchdog.EXIT_TIMEOUT);
    }

    private static int follow(MpiSession session, LocalShards local, MpiCommunicator world,
                              TpEngine.Capacity capacity, LivenessBeacon beacon) {
        try {
            HostFollower.follow(local, world, capacity.maxBatchEntries());
            return 0;
        } catch (RuntimeException e) {
            beacon.fail("engine step failed: " + e.getMessage());
            session.abortJob("world rank " + session.worldRank() + " (" + session.describe() + "): engine step failed: "
                    + e.getMessage(), 1);
            return 1;
        }
    }

    private static void close(LocalShards local, MpiCommunicator world, ShardGroup group, NodeSliceAllocator nodeSlices,
                              Arena sliceArena) {
        if (local != null) {
            local.close();
        }
        if (world != null) {
            world.close();
        }
        group.close();
        if (nodeSlices != null) {
            nodeSlices.close();
        }
        if (sliceArena != null) {
            sliceArena.close();
        }
    }

    /** This rank's report: where it runs and which shards it holds, its threads' binding, its shards' residency. */
    private static List<String> report(MpiSession session, ShardGroup group, int rank, int[] held,
                                       WeightPlacement placement) {
        List<String> lines = new ArrayList<>();
        lines.add("rank " + rank + ": " + session.describe() + "; pid " + ProcessHandle.current().pid() + "; shard"
                + (held.length == 1 ? " " + held[0] : "s " + held[0] + "-" + held[held.length - 1]));
        for (String line : BindingReport.lines(group, held)) {
            lines.add("rank " + rank + ": " + line);
        }
        for (String line : ResidencyReport.lines(placement)) {
            lines.add("rank " + rank + ": " + line);
        }
        return lines;
    }

    /** Every rank's report lines, by world rank, joined by newlines (each cut to {@link #REPORT_BYTES}). */
    static List<String> gatherReports(MpiCommunicator world, List<String> lines) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment send = arena.allocate(REPORT_BYTES, 64);
            byte[] text = String.join("\n", lines).getBytes(StandardCharsets.UTF_8);
            int length = Math.min(text.length, REPORT_BYTES - 1);
            MemorySegment.copy(text, 0, send, ValueLayout.JAVA_BYTE, 0, length);
            MemorySegment all = arena.allocate((long) REPORT_BYTES * world.size(), 64);
            world.allGather(send, all, REPORT_BYTES / 4, ElementType.F32);
            List<String> reports = new ArrayList<>();
            for (int r = 0; r < world.size(); r++) {
                reports.add(all.asSlice((long) r * REPORT_BYTES, REPORT_BYTES).getString(0, StandardCharsets.UTF_8));
            }
            return reports;
        }
    }

    /** The plan of rank 0's host (its ranks are the job's first ones). */
    @Override
    public PlacementPlan plan() {
        return plan;
    }

    @Override
    public HostEngine engine() {
        return engine;
    }

    @Override
    public String loadLine(long openNs, long sinceNs) {
        return String.format(Locale.ROOT, "load: open %.2f s; %d MPI ranks on %d host%s joined and loaded %d shard%s"
                        + " in %.2f s; total %.2f s", openNs / 1e9, session.worldSize(), session.hosts(),
                session.hosts() == 1 ? "" : "s", split.shards(), split.shards() == 1 ? "" : "s",
                startNs / 1e9, (System.nanoTime() - sinceNs) / 1e9);
    }

    /** The hosts line, then every rank's lines but residency: where it runs, how its thread was bound. */
    @Override
    public List<String> bindingLines() {
        List<String> lines = new ArrayList<>();
        lines.add(layout);
        lines.addAll(lines(false));
        return lines;
    }

    @Override
    public String bindingSummary() {
        return layout + "; " + BindingReport.summaryOfLines(lines(false));
    }

    @Override
    public List<String> residencyLines() {
        return lines(true);
    }

    private List<String> lines(boolean residency) {
        List<String> lines = new ArrayList<>();
        for (String report : reports) {
            for (String line : report.split("\n")) {
                if (!line.isEmpty() && line.contains(": weights ") == residency) {
                    lines.add(line);
                }
            }
        }
        return lines;
    }

    @Override
    public String placementSummary() {
        return "rank 0: " + engine.shards().placement().summary();
    }

    /**
     * Stops the followers (through the engine), frees this rank's shard and finalises MPI. After a
     * lost rank ({@link HostEngine#abandon}) the followers are told the job ends instead, and MPI is
     * left alone (a peer is gone: finalising could hang); nothing is freed while a step is stuck.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        String lost = engine.lostDetail();
        if (lost != null) {
            watch.close("rank 0 is ending the job: " + lost);
            if (!engine.stepStuck()) {
                engine.close();
            }
            return; // the process exit frees the rest; mpirun ends the other ranks
        }
        try {
            engine.close();
        } finally {
            group.close();
            if (nodeSlices != null) {
                nodeSlices.close();
            }
            if (sliceArena != null) {
                sliceArena.close();
            }
            session.close();
            watch.close(null);
        }
    }
}
