package numatp.models.tp;

import numatp.collectives.Communicator;
import numatp.collectives.CommunicatorConfig;
import numatp.collectives.shm.ThreadTransport;
import numatp.models.LlamaConfig;
import numatp.models.ModelException;
import numatp.models.sampling.Sampler;
import numatp.weights.ModelTensors;
import numatp.weights.SliceAllocator;
import numatp.weights.TensorSlicer;
import numatp.topology.NumatpException;

import java.lang.foreign.Arena;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs a Llama model split over {@code shards} tensor-parallel shards, each on its own
 * thread with its own weights slice, KV cache and communicator rank. Every shard runs
 * the whole generation loop and samples from identical (allgathered) logits with the
 * same seed, so they agree on every token without a broadcast; shard 0 reports tokens.
 */
public final class TpEngine implements AutoCloseable {
    /** Receives each generated token (called on shard 0's thread). */
    @FunctionalInterface
    public interface TokenListener {
        void onToken(int previous, int token);
    }

    /** Sampling settings shared by all shards. */
    public record Sampling(float temperature, float topP, int topK, long seed) {
    }

    /** What a generation did; times in nanoseconds, measured on shard 0. */
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
    private final Communicator[] comms;
    private final ShardForward[] forwards;
    private final Arena arena;
    private final TensorSlicer slicer;

    /**
     * Slices {@code model} for {@code shards} shards (all on node 0 unless {@code comms}
     * say otherwise) with KV caches of {@code maxSeq} positions. {@code comms} may be
     * null: a thread-transport group with every rank on node 0 is made.
     */
    public TpEngine(ModelTensors model, int shards, int maxSeq, SliceAllocator allocator, Communicator[] comms) {
        this.config = LlamaConfig.of(model.hp());
        int granule = model.tensor("blk.0.ffn_down.weight").type().blockElements();
        this.plan = new ShardPlan(config, shards, granule);
        if (maxSeq < 1 || maxSeq > config.contextLength()) {
            throw new ModelException("sequence length must be in [1, " + config.contextLength() + "]: " + maxSeq);
        }
        if ((long) maxSeq * config.kvDim() > Integer.MAX_VALUE) {
            throw new ModelException("KV cache of " + maxSeq + " positions x " + config.kvDim() + " is too large");
        }
        this.comms = comms != null ? comms
                : ThreadTransport.create(new int[shards], CommunicatorConfig.defaults()).toArray(new Communicator[0]);
        if (this.comms.length != shards) {
            throw new ModelException(this.comms.length + " communicators for " + shards + " shards");
        }
        this.arena = Arena.ofShared();
        this.slicer = new TensorSlicer(allocator);
        ShardWeights.Replicas replicas = new ShardWeights.Replicas(slicer);
        this.forwards = new ShardForward[shards];
        for (int s = 0; s < shards; s++) {
            int node = this.comms[s].nodeOfRank(s);
            ShardWeights sw = ShardWeights.slice(model, plan, s, node, slicer, replicas);
            forwards[s] = new ShardForward(plan, s, sw, this.comms[s], maxSeq, arena);
        }
    }

    public LlamaConfig config() {
        return config;
    }

    public ShardPlan plan() {
        return plan;
    }

    public long replicatedBytes() {
        return slicer.replicatedBytes();
    }

    public long shardedBytes() {
        return slicer.shardedBytes();
    }

    /** Shard {@code s}'s forward (tests drive single positions through it). */
    public ShardForward shard(int s) {
        return forwards[s];
    }

    /**
     * Generates as run.c's generate(): feeds {@code prompt} (starting with BOS), then
     * samples until position {@code steps} or a BOS token. Reuse needs a fresh engine
     * only in that the KV cache is overwritten from position 0.
     */
    public Stats generate(int[] prompt, int steps, Sampling sampling, TokenListener listener) {
        if (prompt.length < 1) {
            throw new ModelException("the prompt needs at least one token (BOS)");
        }
        if (steps < 1 || steps > forwards[0].seqLen()) {
            throw new ModelException("--steps must be in [1, " + forwards[0].seqLen() + "]: " + steps);
        }
        long seed = sampling.seed();
        int shards = forwards.length;
        long[][] times = new long[shards][];
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread[] threads = new Thread[shards];
        for (int s = 0; s < shards; s++) {
            final int shard = s;
            threads[s] = Thread.ofPlatform().name("tp-shard-" + s).unstarted(() -> {
                try {
                    Sampler sampler = new Sampler(config.vocabSize(), sampling.temperature(), sampling.topP(),
                            sampling.topK(), seed);
                    times[shard] = loop(forwards[shard], sampler, prompt, steps, shard == 0 ? listener : null);
                } catch (Throwable t) {
                    if (failure.compareAndSet(null, t)) {
                        for (Communicator c : comms) {
                            c.abort("shard " + shard + " failed: " + t);
                        }
                    }
                }
            });
        }
        if (shards == 1) {
            threads[0].run();
        } else {
            for (Thread t : threads) {
                t.start();
            }
            for (Thread t : threads) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new ModelException("interrupted while generating", e);
                }
            }
        }
        Throwable t = failure.get();
        if (t instanceof NumatpException ne) {
            throw ne;
        }
        if (t != null) {
            throw new ModelException("generation failed: " + t, t);
        }
        long[] r = times[0];
        return new Stats((int) r[0], (int) r[1], r[2], r[3], r[4]);
    }

    /** The generation loop of one shard; returns {promptTokens, decodeTokens, promptNs, decodeNs, collectiveNs}. */
    private static long[] loop(ShardForward f, Sampler sampler, int[] prompt, int steps, TokenListener listener) {
        long collective0 = f.collectiveNs();
        long start = System.nanoTime();
        long promptEnd = start;
        int promptTokens = 0;
        int token = prompt[0];
        int pos = 0;
        while (pos < steps) {
            float[] logits = f.forward(token, pos);
            int next;
            if (pos < prompt.length - 1) {
                next = prompt[pos + 1];
            } else {
                next = sampler.sample(logits);
            }
            pos++;
            if (pos == prompt.length) {
                promptEnd = System.nanoTime();
                promptTokens = pos;
            }
            if (next == numatp.models.tokenizer.Tokenizer.BOS) {
                break;
            }
            if (listener != null) {
                listener.onToken(token, next);
            }
            token = next;
        }
        long end = System.nanoTime();
        if (promptTokens == 0) {
            promptTokens = pos;
            promptEnd = end;
        }
        return new long[] {promptTokens, pos - promptTokens, promptEnd - start, end - promptEnd,
                f.collectiveNs() - collective0};
    }

    @Override
    public void close() {
        for (Communicator c : comms) {
            c.close();
        }
        arena.close();
    }
}
