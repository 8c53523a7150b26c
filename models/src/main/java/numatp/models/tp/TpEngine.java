package numatp.models.tp;

import numatp.collectives.Communicator;
import numatp.collectives.CommunicatorConfig;
import numatp.collectives.shm.ThreadTransport;
import numatp.collectives.team.ShardGroup;
import numatp.models.LlamaConfig;
import numatp.models.ModelException;
import numatp.models.sampling.Sampler;
import numatp.models.tokenizer.Tokenizer;
import numatp.weights.ModelTensors;
import numatp.weights.SliceAllocator;
import numatp.weights.TensorSlicer;

import java.lang.foreign.Arena;
import java.util.function.IntPredicate;

/**
 * Runs a Llama model split over the shards of a {@link ShardGroup}, each with its own
 * weights slice, KV caches and communicator rank, driven through {@link #step}: every step
 * runs on each shard's persistent leader thread, and a shard whose team has several
 * threads splits its matrix rows over them (an engine made for one unbound shard runs it on
 * the caller's thread instead). {@link #generate} is one sequence in slot 0 on
 * top of {@link #step}: the prompt as batched steps, then one entry per step, sampling on
 * the caller's thread from the allgathered logits.
 */
public final class TpEngine implements SequenceEngine {
    /** Receives each generated token (called on the thread that calls {@link #generate}). */
    @FunctionalInterface
    public interface TokenListener {
        void onToken(int previous, int token);
    }

    /**
     * Sampling settings of {@link #generate}, checked once here ({@link Sampler#check}) so a bad
     * value fails before a model is loaded: temperature >= 0 (0 = greedy), top-p in [0, 1],
     * top-k >= 0 (0 = off), seed non-zero.
     */
    public record Sampling(float temperature, float topP, int topK, long seed) {
        public Sampling {
            Sampler.check(temperature, topP, topK, seed);
        }

        /** Greedy decoding (temperature 0). */
        public static Sampling greedy() {
            return new Sampling(0f, 1f, 0, 1);
        }

        /** The same settings with another seed (one per benchmark run). */
        public Sampling withSeed(long value) {
            return new Sampling(temperature, topP, topK, value);
        }
    }

    /**
     * How much the engine holds at once: {@code slots} KV-cache slots of
     * {@code slotPositions} positions, and at most {@code maxBatchEntries} entries per step.
     */
    public record Capacity(int slots, int slotPositions, int maxBatchEntries) {
        public Capacity {
            if (slots < 1) {
                throw new ModelException("slots must be >= 1: " + slots);
            }
            if (slotPositions < 1) {
                throw new ModelException("slot positions must be >= 1: " + slotPositions);
            }
            if (maxBatchEntries < 1) {
                throw new ModelException("max batch entries must be >= 1: " + maxBatchEntries);
            }
        }

        /** One slot of {@code positions}, prompts fed in steps of up to 64 entries. */
        public static Capacity singleSequence(int positions) {
            return new Capacity(1, positions, Math.max(1, Math.min(positions, 64)));
        }
    }

    /** What a generation did; times in nanoseconds, measured on the calling thread. */
    public record Stats(int promptTokens, int decodeTokens, long promptNs, long decodeNs, long collectiveNs) {
        public double promptTokensPerSecond() {
            return promptNs == 0 ? 0 : promptTokens * 1e9 / promptNs;
        }

        public double decodeTokensPerSecond() {
            return decodeNs == 0 ? 0 : decodeTokens * 1e9 / decodeNs;
        }

        /** Share of the generation time spent in collectives on shard 0. */
        public double collectiveShare() {
            long total = promptNs + decodeNs;
            return total == 0 ? 0 : (double) collectiveNs / total;
        }
    }

    private final LlamaConfig config;
    private final ShardPlan plan;
    private final Reduction reduction;
    private final Capacity capacity;
    private final Communicator[] comms;
    private final ShardForward[] forwards;
    private final Arena arena;
    private final TensorSlicer slicer;
    private final ShardGroup group; // null: one unbound shard, run on the caller's thread
    private final boolean ownsGroup;
    private final ShardStep args;
    private final WeightPlacement placement;
    private final StepRules rules;
    private long steps;
    private long entries;
    private long stepNs;
    private boolean failed;
    private boolean closed;

    /**
     * One slot of {@code maxSeq} positions: {@link #TpEngine(ModelTensors, int, Capacity, SliceAllocator,
     * Communicator[])} with {@link Capacity#singleSequence}.
     */
    public TpEngine(ModelTensors model, int shards, int maxSeq, SliceAllocator allocator, Communicator[] comms) {
        this(model, shards, Capacity.singleSequence(maxSeq), allocator, comms);
    }

    /** {@code shards} unbound single-thread shards on node 0 ({@link ShardGroup#unbound}, closed with the engine). */
    public TpEngine(ModelTensors model, int shards, Capacity capacity, SliceAllocator allocator,
                    Communicator[] comms) {
        this(model, null, shards, capacity, allocator, comms, Reduction.FAST);
    }

    /** As {@link #TpEngine(ModelTensors, int, Capacity, SliceAllocator, Communicator[])} with {@code reduction}. */
    public TpEngine(ModelTensors model, int shards, Capacity capacity, SliceAllocator allocator,
                    Communicator[] comms, Reduction reduction) {
        this(model, null, shards, capacity, allocator, comms, reduction);
    }

    /**
     * Slices {@code model} for the shards of {@code group}, shard s on the node of
     * {@code group.binding(s)}, with KV caches and activation buffers for {@code capacity}.
     * The group stays the caller's (the engine registers an abort hook on it and never closes
     * it). {@code comms} may be null: a thread-transport group with ranks on the bindings'
     * nodes is made and closed with the engine.
     */
    public TpEngine(ModelTensors model, ShardGroup group, Capacity capacity, SliceAllocator allocator,
                    Communicator[] comms) {
        this(model, group, group.shards(), capacity, allocator, comms, Reduction.FAST);
    }

    /** As {@link #TpEngine(ModelTensors, ShardGroup, Capacity, SliceAllocator, Communicator[])} with {@code reduction}. */
    public TpEngine(ModelTensors model, ShardGroup group, Capacity capacity, SliceAllocator allocator,
                    Communicator[] comms, Reduction reduction) {
        this(model, group, group.shards(), capacity, allocator, comms, reduction);
    }

    private TpEngine(ModelTensors model, ShardGroup givenGroup, int shards, Capacity capacity,
                     SliceAllocator allocator, Communicator[] comms, Reduction reduction) {
        this.config = LlamaConfig.of(model.hp());
        this.reduction = reduction;
        ReductionUnits units = reduction == Reduction.EXACT ? ReductionUnits.of(model, config) : null;
        this.plan = ReductionUnits.plan(model, config, shards, units);
        this.capacity = capacity;
        int positions = capacity.slotPositions();
        if (positions > config.contextLength()) {
            throw new ModelException("sequence length must be in [1, " + config.contextLength() + "]: " + positions);
        }
        if ((long) capacity.maxBatchEntries() * Math.max(config.vocabSize(), config.hiddenDim())
                > Integer.MAX_VALUE / 4) {
            throw new ModelException("max batch entries " + capacity.maxBatchEntries() + " is too large for vocabulary "
                    + config.vocabSize());
        }
        int[] nodes = new int[shards];
        if (givenGroup != null) {
            for (int s = 0; s < shards; s++) {
                nodes[s] = givenGroup.binding(s).node();
            }
        }
        this.comms = comms != null ? comms
                : ThreadTransport.create(nodes, CommunicatorConfig.defaults()).toArray(new Communicator[0]);
        if (this.comms.length != shards) {
            throw new ModelException(this.comms.length + " communicators for " + shards + " shards");
        }
        this.arena = Arena.ofShared();
        this.slicer = new TensorSlicer(allocator);
        ShardWeights.Replicas replicas = new ShardWeights.Replicas(slicer);
        this.forwards = new ShardForward[shards];
        ShardWeights[] weights = new ShardWeights[shards];
        for (int s = 0; s < shards; s++) {
            int node = this.comms[s].nodeOfRank(s);
            weights[s] = ShardWeights.slice(model, plan, s, node, slicer, replicas, units);
            forwards[s] = new ShardForward(plan, s, weights[s], this.comms[s], capacity.slots(), positions,
                    capacity.maxBatchEntries(), arena, allocator, node);
        }
        this.placement = WeightPlacement.measure(weights, forwards, this.comms, slicer, allocator);
        this.rules = new StepRules(config.vocabSize(), capacity);
        this.args = new ShardStep(forwards, ranks(shards));
        this.ownsGroup = givenGroup == null;
        // One unbound shard needs no thread of its own: the caller runs it and saves a handoff per step
        // (10-30% of a stories260K decode step on the 2-core dev machine).
        this.group = givenGroup != null ? givenGroup : shards == 1 ? null : ShardGroup.unbound(shards);
        if (group != null) {
            Communicator[] abortable = this.comms;
            group.onAbort(reason -> {
                for (Communicator c : abortable) {
                    c.abort(reason);
                }
            });
        }
    }

    @Override
    public LlamaConfig config() {
        return config;
    }

    public ShardPlan plan() {
        return plan;
    }

    public Reduction reduction() {
        return reduction;
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

    public long replicatedBytes() {
        return slicer.replicatedBytes();
    }

    public long shardedBytes() {
        return slicer.shardedBytes();
    }

    /** Where the weights and KV caches are, per node and shard (fixed after construction). */
    public WeightPlacement placement() {
        return placement;
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
        rules.advance(n, slots, positions);
        steps++;
        entries += n;
        stepNs += System.nanoTime() - t0;
    }

    /** True once a step failed while its shards were running: the team cannot continue. */
    @Override
    public boolean broken() {
        return failed;
    }

    @Override
    public Counters counters() {
        return new Counters(steps, entries, stepNs, forwards[0].collectiveNs());
    }

    /**
     * Generates as run.c's generate() in slot 0: feeds {@code prompt} (starting with BOS),
     * then samples until position {@code steps} or a BOS token. The prompt runs as batched
     * steps of up to {@link #maxBatchEntries()} entries, decoding as one entry per step.
     */
    public Stats generate(int[] prompt, int steps, Sampling sampling, TokenListener listener) {
        return generate(prompt, steps, sampling, listener, RUN_C_STOP);
    }

    /** run.c stops at a generated BOS. */
    private static final IntPredicate RUN_C_STOP = id -> id == Tokenizer.BOS;

    /**
     * {@link #generate(int[], int, Sampling, TokenListener)}, stopping before the first next token
     * for which {@code stop} holds (a GGUF vocabulary's end-of-generation ids, where llama.cpp
     * stops) instead of at BOS; the stopping token is not passed to the listener.
     */
    public Stats generate(int[] prompt, int steps, Sampling sampling, TokenListener listener, IntPredicate stop) {
        return SequenceGeneration.generate(this, prompt, steps, sampling, listener, stop);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (ownsGroup && group != null) {
            group.close();
        }
        for (Communicator c : comms) {
            c.close();
        }
        arena.close();
    }

    /** 0, 1, ..., shards - 1: the engine's team shard i is rank i. */
    private static int[] ranks(int shards) {
        int[] ranks = new int[shards];
        for (int r = 0; r < shards; r++) {
            ranks[r] = r;
        }
        return ranks;
    }
}
