package numatp.runtime.hosts;

import numatp.collectives.ElementType;
import numatp.collectives.mpi.MpiCommunicator;
import numatp.models.LlamaConfig;
import numatp.models.ModelException;
import numatp.models.tp.EngineHealth;
import numatp.models.tp.EngineUnavailableException;
import numatp.models.tp.LocalShards;
import numatp.models.tp.SequenceEngine;
import numatp.models.tp.StepRules;
import numatp.models.tp.TpEngine;

import java.lang.foreign.Arena;

/**
 * The engine as world rank 0 of {@code --workers mpi} sees it: each step is checked here, broadcast
 * to every other rank over MPI ({@link StepHeader}), then run on this rank's shards (shard 0 among them,
 * which writes the logits) while the others run theirs ({@link HostFollower}); the shards meet in the
 * three-tier collectives. Closing broadcasts the stop, so the followers end too.
 *
 * <p>The steps run on a thread of their own ({@link AbandonableStep}): when the liveness channel
 * reports a lost rank ({@link #abandon}), a step stuck in MPI is given up and throws an
 * {@link EngineUnavailableException} naming the rank and its host; the engine is then failed for
 * good (its health says so) and never calls MPI again.
 */
public final class HostEngine implements SequenceEngine {
    private final LlamaConfig config;
    private final TpEngine.Capacity capacity;
    private final LocalShards shards;
    private final MpiCommunicator world;
    private final Arena arena = Arena.ofShared();
    private final StepHeader header;
    private final StepRules rules;
    private final String describeRanks;
    private final AbandonableStep stepper;
    private int stepN; // the step's arguments, for the step thread (published by AbandonableStep.run)
    private int[] stepTokens;
    private int[] stepSlots;
    private int[] stepPositions;
    private float[][] stepLogits;
    private volatile String lost; // why the engine was abandoned, or null
    private volatile Runnable beforeStop = () -> { };
    private boolean failed;
    private boolean closed;
    private long steps;
    private long entries;
    private long stepNs;

    HostEngine(LocalShards shards, MpiCommunicator world, TpEngine.Capacity capacity, String describeRanks) {
        this.config = shards.config();
        this.capacity = capacity;
        this.shards = shards;
        this.world = world;
        this.header = new StepHeader(arena, capacity.maxBatchEntries());
        this.rules = new StepRules(config.vocabSize(), capacity);
        this.describeRanks = describeRanks;
        this.stepper = new AbandonableStep("numatp-mpi-step", this::stepOnRanks);
    }

    @Override
    public LlamaConfig config() {
        return config;
    }

    @Override
    public int slots() {
        return capacity.slots();
    }

    @Override
    public int slotPositions() {
        return capacity.slotPositions();
    }

    @Override
    public int maxBatchEntries() {
        return capacity.maxBatchEntries();
    }

    @Override
    public void step(int n, int[] tokens, int[] slots, int[] positions, float[][] logits) {
        if (closed) {
            throw new ModelException("the engine is closed");
        }
        String lostDetail = lost;
        if (lostDetail != null) {
            throw new EngineUnavailableException(lostDetail);
        }
        if (failed) {
            throw new ModelException("the engine failed in an earlier step and cannot continue");
        }
        rules.check(n, tokens, slots, positions, logits);
        if (n == 0) {
            return;
        }
        long t0 = System.nanoTime();
        stepN = n;
        stepTokens = tokens;
        stepSlots = slots;
        stepPositions = positions;
        stepLogits = logits;
        try {
            stepper.run();
        } catch (EngineUnavailableException e) {
            failed = true;
            throw e; // abandoned: a rank is lost
        } catch (RuntimeException e) {
            failed = true;
            throw new ModelException("engine step over " + describeRanks + " failed: " + e.getMessage(), e);
        } finally {
            stepTokens = null;
            stepSlots = null;
            stepPositions = null;
            stepLogits = null;
        }
        rules.advance(n, slots, positions);
        steps++;
        entries += n;
        stepNs += System.nanoTime() - t0;
    }

    /** One step on every rank, on the step thread: the header to the followers, then this rank's shard. */
    private void stepOnRanks() {
        header.write(stepN, stepTokens, stepSlots, stepPositions, stepLogits);
        // The followers wait in MPI_Ibcast (a blocking MPI_Bcast would not match it).
        world.broadcastWaiting(header.segment(), header.count(), ElementType.F32, 0, HostFollower.SPIN_NS,
                HostFollower.POLL_NS, true);
        shards.step(stepN, stepTokens, stepSlots, stepPositions, stepLogits);
    }

    @Override
    public boolean broken() {
        return failed || lost != null;
    }

    @Override
    public EngineHealth health() {
        String detail = lost;
        return detail != null ? EngineHealth.failed(detail, 0) : SequenceEngine.super.health();
    }

    /**
     * Gives the engine up from any thread (a rank was lost, or the job is ending): a step in
     * progress and every later one throw an {@link EngineUnavailableException} with {@code detail},
     * health says failed, and the engine never calls MPI again. The first detail stays.
     */
    public void abandon(String detail) {
        synchronized (stepper) {
            if (lost == null) {
                lost = detail;
            }
        }
        stepper.abandon(detail);
    }

    /** Why the engine was {@linkplain #abandon abandoned}, or null. */
    public String lostDetail() {
        return lost;
    }

    /** Whether a step was given up while still running: its thread may be stuck in MPI, so nothing may be freed. */
    public boolean stepStuck() {
        return lost != null && stepper.stepInFlight();
    }

    /** Runs {@code action} just before close broadcasts the stop (the liveness watch then expects the ranks to go). */
    void beforeStop(Runnable action) {
        this.beforeStop = action;
    }

    @Override
    public Counters counters() {
        return new Counters(steps, entries, stepNs, shards.collectiveNs());
    }

    /** Where this rank's shard's weights and KV cache are. */
    LocalShards shards() {
        return shards;
    }

    /** Tells the followers to stop (unless a step failed: they are ending on their own) and frees the shard. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (stepStuck()) {
            return; // the step thread still holds the shard and MPI: the process exit frees them
        }
        stepper.close();
        try {
            if (!failed && lost == null) {
                beforeStop.run();
                header.writeStop();
                world.broadcastWaiting(header.segment(), header.count(), ElementType.F32, 0, HostFollower.SPIN_NS,
                        HostFollower.POLL_NS, true);
            }
        } finally {
            shards.close();
            world.close();
            arena.close();
        }
    }
}
