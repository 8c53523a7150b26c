package numatp.runtime.hosts;

import numatp.collectives.ElementType;
import numatp.collectives.mpi.MpiCommunicator;
import numatp.models.LlamaConfig;
import numatp.models.ModelException;
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
        if (failed) {
            throw new ModelException("the engine failed in an earlier step and cannot continue");
        }
        rules.check(n, tokens, slots, positions, logits);
        if (n == 0) {
            return;
        }
        long t0 = System.nanoTime();
        try {
            header.write(n, tokens, slots, positions, logits);
            // The followers wait in MPI_Ibcast (a blocking MPI_Bcast would not match it).
            world.broadcastWaiting(header.segment(), header.count(), ElementType.F32, 0, HostFollower.SPIN_NS,
                    HostFollower.POLL_NS, true);
            shards.step(n, tokens, slots, positions, logits);
        } catch (RuntimeException e) {
            failed = true;
            throw new ModelException("engine step over " + describeRanks + " failed: " + e.getMessage(), e);
        }
        rules.advance(n, slots, positions);
        steps++;
        entries += n;
        stepNs += System.nanoTime() - t0;
    }

    @Override
    public boolean broken() {
        return failed;
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
        try {
            if (!failed) {
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
