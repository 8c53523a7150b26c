package numatp.models.tp;

import numatp.collectives.Communicator;
import numatp.collectives.team.ShardGroup;
import numatp.models.LlamaConfig;
import numatp.models.ModelException;
import numatp.weights.ModelTensors;
import numatp.weights.SliceAllocator;
import numatp.weights.TensorSlicer;

import java.lang.foreign.Arena;

/**
 * Some of the shards of a tensor-parallel model, the ones one worker process holds: the same
 * {@link ShardPlan}, weight slices and {@link ShardForward} per shard as {@link TpEngine} makes,
 * for the ranks given (with the same {@link Reduction}), each over its communicator rank of a
 * group that spans every process.
 * {@link #step} runs one step on these shards; the collectives meet the other processes'
 * shards, and the shard of rank 0 (if held here) writes the logits. Arguments are not checked
 * here: the coordinator checks each step once ({@link StepRules}) before it publishes it.
 */
public final class LocalShards implements AutoCloseable {
    private final LlamaConfig config;
    private final int[] ranks;
    private final Communicator[] comms;
    private final ShardForward[] forwards;
    private final ShardGroup group; // null: one shard run on the caller's thread
    private final Arena arena;
    private final WeightPlacement placement;
    private final ShardStep args;
    private boolean failed;
    private boolean closed;

    /**
     * Bytes each rank's communicator must be able to hand out through {@link Communicator#allocateBuffer}
     * for the shards of {@code model} ({@code CommunicatorConfig.bufferBytes} of a process group).
     */
    public static long communicatorBufferBytes(ModelTensors model, TpEngine.Capacity capacity, Reduction reduction) {
        return ShardForward.reduceBufferBytes(LlamaConfig.of(model.hp()).dim(), capacity.maxBatchEntries(),
                reduction == Reduction.EXACT);
    }

    /**
     * Slices {@code model} for ranks {@code ranks} of {@code shards}; {@code comms[i]} is the
     * communicator of rank {@code ranks[i]} and {@code group} (the caller's, never closed here)
     * has one team per held rank in that order, or is null for one rank run on the caller's thread.
     */
    public LocalShards(ModelTensors model, int shards, int[] ranks, ShardGroup group, TpEngine.Capacity capacity,
                       SliceAllocator allocator, Communicator[] comms, Reduction reduction) {
        this.config = LlamaConfig.of(model.hp());
        if (ranks.length < 1 || comms.length != ranks.length) {
            throw new ModelException(comms.length + " communicators for ranks of length " + ranks.length);
        }
        if (group == null ? ranks.length != 1 : group.shards() != ranks.length) {
            throw new ModelException("the shard group must have one team per held rank (" + ranks.length + ")");
        }
        for (int i = 0; i < ranks.length; i++) {
            if (comms[i].rank() != ranks[i] || comms[i].size() != shards) {
                throw new ModelException("communicator " + i + " is rank " + comms[i].rank() + " of " + comms[i].size()
                        + ", expected rank " + ranks[i] + " of " + shards);
            }
        }
        ReductionUnits units = reduction == Reduction.EXACT ? ReductionUnits.of(model, config) : null;
        ShardPlan plan = ReductionUnits.plan(model, config, shards, units);
        this.ranks = ranks.clone();
        this.comms = comms.clone();
        this.group = group;
        this.arena = Arena.ofShared();
        TensorSlicer slicer = new TensorSlicer(allocator);
        ShardWeights.Replicas replicas = new ShardWeights.Replicas(slicer);
        this.forwards = new ShardForward[ranks.length];
        ShardWeights[] weights = new ShardWeights[ranks.length];
        try {
            for (int i = 0; i < ranks.length; i++) {
                int node = comms[i].nodeOfRank(ranks[i]);
                weights[i] = ShardWeights.slice(model, plan, ranks[i], node, slicer, replicas, units);
                forwards[i] = new ShardForward(plan, ranks[i], weights[i], comms[i], capacity.slots(),
                        capacity.slotPositions(), capacity.maxBatchEntries(), arena, allocator, node);
            }
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
        this.placement = WeightPlacement.measure(this.ranks, weights, forwards, this.comms, slicer, allocator);
        this.args = new ShardStep(forwards, this.ranks);
        if (group != null) {
            Communicator[] abortable = this.comms;
            group.onAbort(reason -> {
                for (Communicator c : abortable) {
                    c.abort(reason);
                }
            });
        }
    }

    public LlamaConfig config() {
        return config;
    }

    /** The ranks held here, in team order. */
    public int[] ranks() {
        return ranks.clone();
    }

    /** True when rank 0 is held here: its {@link #step} writes the logits. */
    public boolean writesLogits() {
        for (int r : ranks) {
            if (r == 0) {
                return true;
            }
        }
        return false;
    }

    /** Where the held shards' weights and KV caches are. */
    public WeightPlacement placement() {
        return placement;
    }

    /** Nanoseconds the first held shard has spent in collectives. */
    public long collectiveNs() {
        return forwards[0].collectiveNs();
    }

    /**
     * One step on the held shards, arguments as {@link SequenceEngine#step} (checked by the
     * caller); {@code logits} are written only where {@link #writesLogits()}.
     */
    public void step(int n, int[] tokens, int[] slots, int[] positions, float[][] logits) {
        if (closed || failed) {
            throw new ModelException(closed ? "the shards are closed" : "the shards failed in an earlier step");
        }
        args.set(n, tokens, slots, positions, logits);
        try {
            if (group != null) {
                group.run(args);
            } else {
                args.runOnCaller();
            }
        } catch (RuntimeException e) {
            failed = true;
            throw e;
        } finally {
            args.clear();
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Communicator c : comms) {
            c.close();
        }
        arena.close();
    }
}
