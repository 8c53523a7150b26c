package numatp.runtime.process;

import numatp.collectives.Communicator;
import numatp.collectives.CommunicatorConfig;
import numatp.collectives.process.WorkerLifetime;
import numatp.collectives.shm.ProcessTransport;
import numatp.collectives.shm.RegionAllocator;
import numatp.collectives.shm.ThreadTransport;
import numatp.collectives.sync.IdleStrategy;
import numatp.collectives.team.ShardGroup;
import numatp.collectives.team.WorkerOptions;
import numatp.models.ModelFiles;
import numatp.models.tp.LocalShards;
import numatp.models.tp.TpEngine;
import numatp.models.tp.WeightPlacement;
import numatp.runtime.engine.CollectiveSettings;
import numatp.runtime.workers.BindingReport;
import numatp.runtime.workers.ResidencyReport;
import numatp.topology.binding.BindMode;
import numatp.topology.binding.BindingException;
import numatp.topology.binding.NumaBinder;
import numatp.topology.binding.PinnedThreadFactory;
import numatp.topology.binding.ShardBinding;
import numatp.topology.binding.WorkerOutcome;
import numatp.weights.ArenaSliceAllocator;
import numatp.weights.ModelTensors;
import numatp.weights.NodeSliceAllocator;
import numatp.weights.SliceAllocator;

import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.locks.LockSupport;

/**
 * One worker process of the process engine ({@code tp worker}): dies with its coordinator,
 * says where it was born (CPU affinity, getcpu), maps the model, starts one pinned team per
 * held shard, joins the engine's communicator group (the process transport, or the thread
 * transport when it holds every rank), slices its weights to its node, reports binding and
 * residency on stdout, prints {@link #READY}, then runs each step the coordinator publishes
 * until told to stop. A step that fails is reported in the step file and ends the worker.
 */
public final class NodeWorker {
    /** Stdout line after which the worker takes steps. */
    static final String READY = "ready";
    /** Prefix of the report lines the coordinator shows in its start-up report. */
    static final String REPORT = "report ";
    /** A worker that has waited this long for a step polls every {@link #IDLE_POLL_NS}. */
    static final long IDLE_AFTER_NS = 50_000_000L;
    static final long IDLE_POLL_NS = 1_000_000L;
    /** How long a worker waits for the others to join its group (they start and load at different times). */
    static final long JOIN_TIMEOUT_NS = ProcessEngine.READY_TIMEOUT_MS * 1_000_000L;

    private NodeWorker() {
    }

    /** Runs the worker described by {@code argv}; returns the exit status. */
    public static int run(List<String> argv, PrintStream out) {
        // First thing: die with the coordinator (and fail if it has died already).
        WorkerLifetime.bindToLauncher();
        WorkerArgs args = WorkerArgs.parse(argv);
        String self = "worker " + args.worker() + " (pid " + ProcessHandle.current().pid() + ")";
        NumaBinder binder = NumaBinder.system();
        out.println(REPORT + self + ": born with CPUs " + binder.currentThreadAffinity().toListString()
                + ", " + Runtime.getRuntime().availableProcessors() + " processors; getcpu: CPU " + binder.currentCpu()
                + ", node " + binder.currentNode() + "; max heap " + Runtime.getRuntime().maxMemory() / (1 << 20) + " MiB");
        out.flush();
        int[] ranks = args.ranks();
        List<ShardBinding> teams = new ArrayList<>();
        for (int i = 0; i < ranks.length; i++) {
            ShardBinding b = args.shards().get(i);
            teams.add(new ShardBinding(i, b.node(), b.cpus(), b.threads(), b.shareCpus()));
        }
        boolean simulated = args.bindMode() == BindMode.SIMULATED;
        WorkerOptions options = WorkerOptions.bound().withMode(args.bindMode()).withMemoryPolicy(args.memoryPolicy());
        try (ModelTensors model = ModelFiles.open(args.model());
             Allocator allocator = new Allocator(simulated)) {
            if (ranks.length == 1 && teams.getFirst().threads() == 1) {
                return onPinnedThread(args, model, allocator, options, binder, out);
            }
            try (ShardGroup group = ShardGroup.start(teams, options, binder)) {
                return load(args, model, allocator, group, BindingReport.lines(group, ranks), out);
            }
        }
    }

    /**
     * One shard of one thread: that thread, pinned as a team's would be, runs the whole step loop,
     * so a step has no hand-over inside the worker (the coordinator's flag is its only wake-up).
     */
    private static int onPinnedThread(WorkerArgs args, ModelTensors model, Allocator allocator, WorkerOptions options,
                                      NumaBinder binder, PrintStream out) {
        WorkerOutcome[] bound = new WorkerOutcome[1];
        RuntimeException[] failure = new RuntimeException[1];
        int[] status = {1};
        PinnedThreadFactory threads = new PinnedThreadFactory(args.shards().getFirst(), options.binding(), binder,
                new PinnedThreadFactory.Listener() {
                    @Override
                    public void bound(WorkerOutcome outcome) {
                        bound[0] = outcome;
                    }

                    @Override
                    public void failed(int shard, int thread, RuntimeException error) {
                        failure[0] = new BindingException("shard " + shard + " thread " + thread
                                + " could not be placed: " + error.getMessage(), error);
                    }
                });
        Thread thread = threads.newThread(() -> {
            try {
                status[0] = load(args, model, allocator, null, List.of(BindingReport.line(bound[0])), out);
            } catch (RuntimeException e) {
                failure[0] = e;
            }
        });
        thread.start();
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BindingException("interrupted while running the shard thread", e);
        }
        if (failure[0] != null) {
            throw failure[0];
        }
        return status[0];
    }

    /** Joins the group, slices the held shards, reports, then serves steps (see {@link #serve}). */
    private static int load(WorkerArgs args, ModelTensors model, Allocator allocator, ShardGroup group,
                            List<String> bindingLines, PrintStream out) {
        int[] ranks = args.ranks();
        boolean simulated = args.bindMode() == BindMode.SIMULATED;
        TpEngine.Capacity capacity = new TpEngine.Capacity(args.slots(), args.slotPositions(), args.maxBatch());
        // Each rank's allreduce buffer lives in the group's shared memory, where peer processes read it in place.
        CommunicatorConfig config = CollectiveSettings.of(args.collectiveConfig())
                .withBufferBytes(LocalShards.communicatorBufferBytes(model, capacity, args.reduction()));
        Communicator[] comms = communicators(args, ranks, config, simulated);
        try (LocalShards shards = new LocalShards(model, args.nodeOfRank().length, ranks, group, capacity,
                allocator.slices, comms, args.reduction());
             StepChannel channel = StepChannel.open(args.stepFile(), args.workers(), args.maxBatch(),
                     shards.config().vocabSize())) {
            for (String line : bindingLines) {
                out.println(REPORT + line);
            }
            for (String line : residencyLines(shards.placement())) {
                out.println(REPORT + line);
            }
            out.println(READY);
            out.flush();
            return serve(args.worker(), shards, channel);
        }
    }

    /** Weight slices and KV caches: node memory, or plain memory for a captured topology's plan. */
    private static final class Allocator implements AutoCloseable {
        final NodeSliceAllocator node;
        final SliceAllocator slices;
        final Arena arena;

        Allocator(boolean simulated) {
            node = simulated ? null : NodeSliceAllocator.system();
            arena = simulated ? Arena.ofShared() : null;
            slices = simulated ? new ArenaSliceAllocator(arena) : node;
        }

        @Override
        public void close() {
            if (node != null) {
                node.close();
            }
            if (arena != null) {
                arena.close();
            }
        }
    }

    /**
     * One communicator per held rank: the thread transport when this worker holds every rank (no
     * peer process), else the process transport, every rank joining on its own thread (the join
     * waits for all ranks, also this process's others).
     */
    private static Communicator[] communicators(WorkerArgs args, int[] ranks, CommunicatorConfig config,
                                                boolean simulated) {
        int[] nodes = args.nodeOfRank();
        if (ranks.length == nodes.length) {
            return (simulated ? ThreadTransport.create(nodes, config, RegionAllocator.shared())
                    : ThreadTransport.create(nodes, config)).toArray(new Communicator[0]);
        }
        Communicator[] comms = new Communicator[ranks.length];
        try (ExecutorService joins = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Communicator>> joined = new ArrayList<>();
            for (int rank : ranks) {
                // Workers start and load at different times: wait for the others as long as start-up may take.
                joined.add(joins.submit(() -> ProcessTransport.join(ProcessTransport.DEFAULT_DIR, args.name(), rank,
                        nodes, config, JOIN_TIMEOUT_NS)));
            }
            RuntimeException failure = null;
            for (int i = 0; i < ranks.length; i++) {
                try {
                    comms[i] = joined.get(i).get();
                } catch (ExecutionException e) {
                    if (failure == null) {
                        failure = e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    failure = new IllegalStateException("interrupted while joining the communicator group");
                }
            }
            if (failure != null) {
                for (Communicator c : comms) {
                    if (c != null) {
                        c.close();
                    }
                }
                throw failure;
            }
        }
        return comms;
    }

    private static List<String> residencyLines(WeightPlacement placement) {
        List<String> lines = new ArrayList<>(ResidencyReport.lines(placement));
        lines.add("placement: " + placement.summary());
        return lines;
    }

    /** Runs published steps until the stop; 0 after a stop, 1 after a failed step (reported in the file). */
    private static int serve(int worker, LocalShards shards, StepChannel channel) {
        int max = channel.maxBatch();
        int vocab = channel.vocab();
        int[] tokens = new int[max];
        int[] slots = new int[max];
        int[] positions = new int[max];
        float[][] logits = new float[max][];
        float[][] buffers = new float[max][vocab];
        boolean writes = shards.writesLogits();
        IdleStrategy idle = WorkerOptions.defaultIdle();
        long sequence = 0;
        while (true) {
            long next = sequence + 1;
            idle.reset();
            long since = System.nanoTime();
            while (channel.step() < next) {
                // Back-to-back steps hand over in microseconds; an idle worker (a server between requests)
                // polls once a millisecond, as no other process can wake a parked thread here.
                if (idle.parking() && System.nanoTime() - since > IDLE_AFTER_NS) {
                    LockSupport.parkNanos(IDLE_POLL_NS);
                } else {
                    idle.idle();
                }
            }
            sequence = next;
            int n = channel.count();
            if (n < 0) {
                return 0;
            }
            try {
                channel.readBatch(n, tokens, slots, positions, logits, buffers);
                shards.step(n, tokens, slots, positions, logits);
                if (writes) {
                    for (int i = 0; i < n; i++) {
                        if (logits[i] != null) {
                            channel.writeLogits(i, logits[i]);
                        }
                    }
                }
                channel.markDone(worker, sequence, shards.collectiveNs());
            } catch (RuntimeException e) {
                channel.markFailed(worker, sequence, e.getMessage() != null ? e.getMessage() : e.toString());
                System.err.println("error: step " + sequence + ": " + e);
                return 1;
            }
        }
    }
}
