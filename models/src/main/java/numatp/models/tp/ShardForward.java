package numatp.models.tp;

import numatp.collectives.Communicator;
import numatp.collectives.ElementType;
import numatp.collectives.team.RangeBody;
import numatp.collectives.team.ShardTeam;
import numatp.models.LlamaConfig;
import numatp.models.ModelException;
import numatp.models.kernels.Activations;
import numatp.models.kernels.Attention;
import numatp.models.kernels.MatMul;
import numatp.models.kernels.Ops;
import numatp.weights.Dequant;
import numatp.weights.SliceAllocator;
import numatp.weights.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The Llama forward pass of one tensor-parallel shard over a batch of entries (token,
 * slot, position), in llama2.c's order per entry: RMSNorm, this shard's Q/K/V heads (plus
 * their biases, qwen2; then RMSNorm of each Q and K head, qwen3), RoPE (adjacent pairs, or
 * halves for qwen2/qwen3, frequencies divided by rope_freqs.weight where given), attention over the entry's slot of the KV cache, its slice of the
 * attention output projection then one allreduce for the batch; RMSNorm, its gate/up
 * rows, SwiGLU, its down columns then one allreduce; final norm and its vocabulary rows
 * of the output head for the entries that want logits, one allgather. With one shard the
 * collectives are skipped. Each entry's arithmetic is independent of the batch it is in
 * (kernels and collectives keep a fixed per-element order), so its logits are bitwise
 * those of running it alone. Buffers are sized for {@code maxBatch} entries up front:
 * no allocation per step. Driven by {@link TpEngine} on the shard's leader thread; each
 * matrix product is split by rows over the shard's team.
 */
final class ShardForward {
    private final LlamaConfig c;
    private final ShardWeights w;
    private final Communicator comm;
    private final int qHeads; // query heads of this shard
    private final int firstHead; // global index of the first
    private final int kvFirst; // global index of the first KV head held
    private final int qDim; // qHeads * headSize
    private final int kvDim; // kvCount * headSize, row length of the local KV cache
    private final int hiddenPart;
    private final int vocabPart;
    private final int vocabStride; // largest vocabulary part: the allgather block per rank and entry
    private final int[] vocabStarts; // [shards + 1]
    private final int slotPositions;
    private final int maxBatch;
    private final boolean halves; // RoPE rotates (i, i + headSize / 2), not (2i, 2i + 1)

    private final float[] x; // [maxBatch, dim] residual stream
    private final float[] xb; // [maxBatch, dim] normed input
    private final float[] xb2; // [maxBatch, dim] partial projection before allreduce
    private final float[] q; // [maxBatch, qDim]; then the attention output of the local heads
    private final float[] k; // [maxBatch, kvDim] new keys before they go to the cache
    private final float[] v; // [maxBatch, kvDim]
    private final float[] att; // [qDim] attention output of the local heads for one entry
    private final float[] hb; // [maxBatch, hiddenPart]
    private final float[] hb2; // [maxBatch, hiddenPart]
    private final float[] scores; // [slotPositions] scores of one head
    private final float[] ropeCos; // [maxBatch, headSize / 2] for each entry's position
    private final float[] ropeSin; // [maxBatch, headSize / 2]
    private final float[] ropeFreq; // [headSize / 2]
    private final MemorySegment[] keyCache; // [layers] of [slots, kvDim, slotPositions] f32: keys transposed (head-major)
    private final MemorySegment[] valueCache; // [layers] of [slots, slotPositions, kvDim] f32
    private final float[] xOut; // [maxBatch, dim] final-normed rows of the entries that want logits
    private final int[] outEntries; // [maxBatch] entry index of each xOut row
    private final float[] localLogits; // [maxBatch, vocabStride]
    private final MemorySegment reduceBuf; // [maxBatch, dim] f32 (3 limbs each when exact), handed to allReduce
    private final MemorySegment gatherSend; // [maxBatch, vocabStride] f32
    private final MemorySegment gatherRecv; // [shards, maxBatch, vocabStride] f32 (rank blocks of outCount rows)
    private final Rows rows = new Rows(); // the matMul handed to the team, reused
    private final ExactProduct exact; // Reduction.EXACT's row-parallel products; null: fast
    private ShardTeam team; // of the step in flight
    private final long kvCacheBytes;
    private long collectiveNs;

    ShardForward(ShardPlan plan, int shard, ShardWeights weights, Communicator comm, int slots, int slotPositions,
                 int maxBatch, Arena arena, SliceAllocator kvAllocator, int node) {
        this.c = plan.config();
        this.w = weights;
        this.comm = comm;
        int hs = c.headSize();
        int dim = c.dim();
        this.qHeads = plan.queryHeads().size(shard);
        this.firstHead = plan.queryHeads().start(shard);
        this.kvFirst = plan.kvStart(shard);
        this.qDim = qHeads * hs;
        this.kvDim = plan.kvCount(shard) * hs;
        this.hiddenPart = plan.hidden().size(shard);
        this.vocabPart = plan.vocab().size(shard);
        this.vocabStride = plan.vocab().maxSize();
        this.vocabStarts = new int[plan.shards() + 1];
        for (int s = 0; s < plan.shards(); s++) {
            vocabStarts[s + 1] = plan.vocab().start(s) + plan.vocab().size(s);
        }
        this.slotPositions = slotPositions;
        this.maxBatch = maxBatch;
        x = new float[maxBatch * dim];
        xb = new float[maxBatch * dim];
        xb2 = new float[maxBatch * dim];
        q = new float[maxBatch * qDim];
        k = new float[maxBatch * kvDim];
        v = new float[maxBatch * kvDim];
        att = new float[qDim];
        hb = new float[maxBatch * hiddenPart];
        hb2 = new float[maxBatch * hiddenPart];
        scores = new float[slotPositions];
        ropeCos = new float[maxBatch * hs / 2];
        ropeSin = new float[maxBatch * hs / 2];
        ropeFreq = new float[hs / 2];
        for (int i = 0; i < hs; i += 2) {
            // run.c: freq = 1.0f / powf(10000.0f, head_dim / (float)head_size); Llama 3.1's
            // rope_freqs.weight divides each frequency by its factor (ggml's rope: theta / freq_factor).
            ropeFreq[i / 2] = 1.0f / (float) Math.pow(c.ropeTheta(), i / (float) hs) / weights.ropeDivisors[i / 2];
        }
        this.halves = c.rope() == LlamaConfig.RopeLayout.HALVES;
        keyCache = new MemorySegment[c.layers()];
        valueCache = new MemorySegment[c.layers()];
        long cacheBytes = 4L * slots * slotPositions * kvDim;
        for (int l = 0; l < c.layers(); l++) {
            keyCache[l] = kvAllocator.allocate(node, cacheBytes);
            valueCache[l] = kvAllocator.allocate(node, cacheBytes);
        }
        this.kvCacheBytes = 2 * c.layers() * cacheBytes;
        xOut = new float[maxBatch * dim];
        outEntries = new int[maxBatch];
        localLogits = new float[maxBatch * vocabStride];
        int scratchPerEntry = 0;
        for (int l = 0; weights.woPieces != null && l < c.layers(); l++) {
            scratchPerEntry = Math.max(scratchPerEntry, Math.max(weights.woPieces[l].scratchPerEntry(),
                    weights.w2Pieces[l].scratchPerEntry()));
        }
        this.exact = weights.woPieces == null ? null : new ExactProduct(dim, maxBatch, scratchPerEntry);
        if (exact != null && comm.size() > ExactSums.MAX_RANKS) {
            throw new ModelException("--reduction exact supports at most " + ExactSums.MAX_RANKS + " shards: "
                    + comm.size());
        }
        long reduceBytes = reduceBufferBytes(dim, maxBatch, exact != null);
        // From the communicator: peers read it in place (a process group's peers only inside its shared file).
        reduceBuf = comm.size() > 1 ? comm.allocateBuffer(reduceBytes) : arena.allocate(reduceBytes, 64);
        gatherSend = arena.allocate(4L * maxBatch * vocabStride, 64);
        gatherRecv = arena.allocate(4L * maxBatch * vocabStride * plan.shards(), 64);
    }

    /** Bytes of the buffer a shard hands to allReduce ({@link Communicator#allocateBuffer}). */
    static long reduceBufferBytes(int dim, int maxBatch, boolean exact) {
        return 4L * (exact ? 3 : 1) * maxBatch * dim;
    }

    /** Bytes of this shard's KV caches (keys and values, all layers and slots). */
    long kvCacheBytes() {
        return kvCacheBytes;
    }

    /** Share of the KV cache bytes on {@code node} as {@code allocator} reports it (NaN unknown). */
    double kvFractionOnNode(SliceAllocator allocator, int node) {
        double sum = 0;
        for (int l = 0; l < keyCache.length; l++) {
            sum += allocator.fractionOnNode(keyCache[l], node) + allocator.fractionOnNode(valueCache[l], node);
        }
        return sum / (2 * keyCache.length);
    }

    /** Nanoseconds spent in collectives so far. */
    long collectiveNs() {
        return collectiveNs;
    }

    /**
     * Runs entries [0, n) (already validated by the engine). When {@code writeLogits}, the
     * logits of every entry with {@code logits[i] != null} are written there; every shard
     * computes them, one shard writes them.
     */
    void step(ShardTeam team, int n, int[] tokens, int[] slots, int[] positions, float[][] logits,
              boolean writeLogits) {
        this.team = team;
        try {
            forward(n, tokens, slots, positions, logits, writeLogits);
        } finally {
            this.team = null;
        }
    }

    private void forward(int n, int[] tokens, int[] slots, int[] positions, float[][] logits, boolean writeLogits) {
        final LlamaConfig c = this.c;
        final int dim = c.dim();
        final int hs = c.headSize();
        final int half = hs / 2;
        final int kvMul = c.kvMul();
        final float eps = c.normEps();
        final int kvDim = this.kvDim;
        final int qDim = this.qDim;
        final float scale = (float) Math.sqrt(hs);
        for (int e = 0; e < n; e++) {
            Ops.row(w.tokenEmbedding, tokens[e], x, e * dim);
            int pos = positions[e];
            for (int i = 0; i < half; i++) {
                float val = pos * ropeFreq[i];
                ropeCos[e * half + i] = (float) Math.cos(val);
                ropeSin[e * half + i] = (float) Math.sin(val);
            }
        }
        for (int l = 0; l < c.layers(); l++) {
            for (int e = 0; e < n; e++) {
                Ops.rmsNorm(xb, e * dim, x, e * dim, w.attnNorm[l], dim, eps);
            }
            matMul(w.wq[l], n, xb, dim, q, qDim);
            matMul(w.wk[l], n, xb, dim, k, kvDim);
            matMul(w.wv[l], n, xb, dim, v, kvDim);
            if (w.bq != null) {
                addBias(q, qDim, w.bq[l], n);
                addBias(k, kvDim, w.bk[l], n);
                addBias(v, kvDim, w.bv[l], n);
            }
            if (w.qNorm != null) {
                // Qwen3: RMSNorm of each query and key head (in place; Ops.rmsNorm reads x before writing).
                for (int i = 0; i < n * qDim; i += hs) {
                    Ops.rmsNorm(q, i, q, i, w.qNorm[l], hs, eps);
                }
                for (int i = 0; i < n * kvDim; i += hs) {
                    Ops.rmsNorm(k, i, k, i, w.kNorm[l], hs, eps);
                }
            }
            final MemorySegment kc = keyCache[l];
            final MemorySegment vc = valueCache[l];
            for (int e = 0; e < n; e++) {
                if (halves) {
                    ropeHalves(q, e * qDim, qDim, hs, e * half);
                    ropeHalves(k, e * kvDim, kvDim, hs, e * half);
                } else {
                    rope(q, e * qDim, qDim, hs, e * half);
                    rope(k, e * kvDim, kvDim, hs, e * half);
                }
                long slotBase = (long) slots[e] * slotPositions * kvDim;
                int pos = positions[e];
                MemorySegment.copy(v, e * kvDim, vc, ValueLayout.JAVA_FLOAT, 4L * (slotBase + (long) pos * kvDim), kvDim);
                for (int j = 0; j < kvDim; j++) {
                    kc.setAtIndex(ValueLayout.JAVA_FLOAT, slotBase + (long) j * slotPositions + pos, k[e * kvDim + j]);
                }
            }
            for (int e = 0; e < n; e++) {
                long slotBase = (long) slots[e] * slotPositions * kvDim;
                for (int h = 0; h < qHeads; h++) {
                    int kvHead = (firstHead + h) / kvMul - kvFirst;
                    attend(e * qDim + h * hs, slotBase + (long) kvHead * hs * slotPositions, slotBase + kvHead * hs,
                            kc, vc, positions[e], hs, scale, h * hs);
                }
                System.arraycopy(att, 0, q, e * qDim, qDim);
            }
            if (exact != null) {
                exactProduct(w.woPieces[l], n, q, qDim);
            } else {
                matMul(w.wo[l], n, q, qDim, xb2, dim);
                allReduce(xb2, n * dim);
            }
            Ops.add(x, xb2, n * dim);
            for (int e = 0; e < n; e++) {
                Ops.rmsNorm(xb, e * dim, x, e * dim, w.ffnNorm[l], dim, eps);
            }
            final int hp = hiddenPart;
            matMul(w.w1[l], n, xb, dim, hb, hp);
            matMul(w.w3[l], n, xb, dim, hb2, hp);
            Activations.swiGlu(hb, hb2, n * hp);
            if (exact != null) {
                exactProduct(w.w2Pieces[l], n, hb, hp);
            } else {
                matMul(w.w2[l], n, hb, hp, xb2, dim);
                allReduce(xb2, n * dim);
            }
            Ops.add(x, xb2, n * dim);
        }
        output(n, logits, writeLogits);
    }

    /** Final norm and output head for the entries that want logits; allgather; copy out. */
    private void output(int n, float[][] logits, boolean writeLogits) {
        final int dim = c.dim();
        int m = 0;
        for (int e = 0; e < n; e++) {
            if (logits[e] != null) {
                Ops.rmsNorm(xOut, m * dim, x, e * dim, w.outputNorm, dim, c.normEps());
                outEntries[m++] = e;
            }
        }
        if (m == 0) {
            return;
        }
        final int vs = vocabStride;
        matMul(w.output, m, xOut, dim, localLogits, vs);
        if (comm.size() == 1) {
            if (writeLogits) {
                for (int j = 0; j < m; j++) {
                    System.arraycopy(localLogits, j * vs, logits[outEntries[j]], 0, vocabPart);
                }
            }
            return;
        }
        MemorySegment.copy(localLogits, 0, gatherSend, ValueLayout.JAVA_FLOAT, 0, m * vs);
        long t0 = System.nanoTime();
        comm.allGather(gatherSend, gatherRecv, (long) m * vs, ElementType.F32);
        collectiveNs += System.nanoTime() - t0;
        if (!writeLogits) {
            return;
        }
        for (int j = 0; j < m; j++) {
            float[] dst = logits[outEntries[j]];
            for (int s = 0; s < vocabStarts.length - 1; s++) {
                MemorySegment.copy(gatherRecv, ValueLayout.JAVA_FLOAT, 4L * ((long) s * m + j) * vs, dst,
                        vocabStarts[s], vocabStarts[s + 1] - vocabStarts[s]);
            }
        }
    }

    /** out[e * outStride + r] = w[r] . x[e * xStride ..] for n entries, rows split over the team's threads. */
    private void matMul(Tensor t, int n, float[] x, int xStride, float[] out, int outStride) {
        Rows r = rows;
        r.set(t, n, x, xStride, out, outStride);
        team.parallelFor(t.rows(), (long) t.cols() * n, r);
        r.clear();
    }

    /**
     * xb2[e * dim + r] = the exact sum over {@code pieces} of their rows times the entries' inputs
     * (rows of {@code in}, {@code inStride} apart), allreduced as limbs when there are several shards.
     */
    private void exactProduct(ReductionPieces pieces, int n, float[] in, int inStride) {
        final int dim = c.dim();
        final ExactProduct p = exact;
        final boolean single = comm.size() == 1;
        p.set(pieces, n, in, inStride, single ? xb2 : null);
        team.parallelFor(dim, Math.max(1, pieces.columns()) * n, p);
        p.clear();
        if (single) {
            return;
        }
        int count = n * dim;
        float[] limbs = p.limbs();
        MemorySegment.copy(limbs, 0, reduceBuf, ValueLayout.JAVA_FLOAT, 0, 3 * count);
        long t0 = System.nanoTime();
        comm.allReduce(reduceBuf, 3L * count, ElementType.F32);
        collectiveNs += System.nanoTime() - t0;
        MemorySegment.copy(reduceBuf, ValueLayout.JAVA_FLOAT, 0, limbs, 0, 3 * count);
        ExactProduct.decode(limbs, count, xb2);
    }

    /** One matMul's arguments, run over a range of rows by each team thread. */
    private static final class Rows implements RangeBody {
        private Tensor w;
        private int n;
        private float[] x;
        private int xStride;
        private float[] out;
        private int outStride;

        void set(Tensor w, int n, float[] x, int xStride, float[] out, int outStride) {
            this.w = w;
            this.n = n;
            this.x = x;
            this.xStride = xStride;
            this.out = out;
            this.outStride = outStride;
        }

        void clear() {
            w = null;
            x = null;
            out = null;
        }

        @Override
        public void run(int from, int to) {
            MatMul.matMul(w, from, to, n, x, 0, xStride, out, 0, outStride);
        }
    }

    /**
     * One head of one entry: scores of q[qo, qo + hs) against the slot's keys at [0, pos]
     * (transposed: element i of position t at ko + i * slotPositions + t), softmax, weighted
     * sum of the values (position t at vo + t * kvDim) into att[ao, ao + hs).
     */
    private void attend(int qo, long ko, long vo, MemorySegment kc, MemorySegment vc, int pos, int hs, float scale,
                        int ao) {
        Attention.scores(q, qo, hs, kc, ko, slotPositions, pos + 1, scale, scores);
        Attention.softmax(scores, pos + 1);
        Attention.weightedSum(scores, pos + 1, vc, vo, kvDim, hs, att, ao);
    }

    /** run.c's RoPE on v[off, off + n): pairs (i, i + 1) rotated by the entry's angles at ropeCos[angles + pair]. */
    private void rope(float[] v, int off, int n, int hs, int angles) {
        for (int i = 0; i < n; i += 2) {
            int pair = angles + (i % hs) / 2;
            float fcr = ropeCos[pair];
            float fci = ropeSin[pair];
            float v0 = v[off + i];
            float v1 = v[off + i + 1];
            v[off + i] = v0 * fcr - v1 * fci;
            v[off + i + 1] = v0 * fci + v1 * fcr;
        }
    }

    /**
     * NEOX RoPE (HF's rotate-half) on v[off, off + n): in each head, elements (i, i + hs/2) rotated
     * by the entry's angle of frequency i.
     */
    private void ropeHalves(float[] v, int off, int n, int hs, int angles) {
        final int half = hs / 2;
        for (int h = off; h < off + n; h += hs) {
            for (int i = 0; i < half; i++) {
                float fcr = ropeCos[angles + i];
                float fci = ropeSin[angles + i];
                float v0 = v[h + i];
                float v1 = v[h + i + half];
                v[h + i] = v0 * fcr - v1 * fci;
                v[h + i + half] = v0 * fci + v1 * fcr;
            }
        }
    }

    /** v[e * width + j] += bias[j] for the n entries ({@code bias} is [1, width] f32). */
    private static void addBias(float[] v, int width, Tensor bias, int n) {
        MemorySegment b = bias.data();
        for (int j = 0; j < width; j++) {
            float bj = b.getAtIndex(Dequant.F32, j);
            for (int e = 0; e < n; e++) {
                v[e * width + j] += bj;
            }
        }
    }

    private void allReduce(float[] v, int n) {
        if (comm.size() == 1) {
            return;
        }
        MemorySegment.copy(v, 0, reduceBuf, ValueLayout.JAVA_FLOAT, 0, n);
        long t0 = System.nanoTime();
        comm.allReduce(reduceBuf, n, ElementType.F32);
        collectiveNs += System.nanoTime() - t0;
        MemorySegment.copy(reduceBuf, ValueLayout.JAVA_FLOAT, 0, v, 0, n);
    }
}
