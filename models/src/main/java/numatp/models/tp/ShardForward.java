package numatp.models.tp;

import numatp.collectives.Communicator;
import numatp.collectives.ElementType;
import numatp.models.LlamaConfig;
import numatp.models.kernels.MatVec;
import numatp.models.kernels.Ops;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The Llama forward pass of one tensor-parallel shard, one token at a time, in
 * llama2.c's order: RMSNorm, this shard's Q/K/V heads, adjacent-pair RoPE, attention
 * over its KV cache, its slice of the attention output projection then allreduce;
 * RMSNorm, its gate/up rows, SwiGLU, its down columns then allreduce; final norm, its
 * vocabulary rows of the output head, allgather. With one shard the collectives are
 * skipped and the arithmetic is run.c's. Buffers are preallocated: no allocation per token.
 */
public final class ShardForward {
    private final LlamaConfig c;
    private final ShardWeights w;
    private final Communicator comm;
    private final int qHeads; // query heads of this shard
    private final int firstHead; // global index of the first
    private final int kvFirst; // global index of the first KV head held
    private final int kvDim; // kvCount * headSize, row length of the local KV cache
    private final int hiddenPart;
    private final int vocabPart;
    private final int vocabStride; // largest vocabulary part: the allgather block per rank
    private final int[] vocabStarts; // [shards + 1]
    private final int seqLen;

    private final float[] x; // [dim] residual stream
    private final float[] xb; // [dim] normed input / attention output (local heads, [qHeads * headSize])
    private final float[] xb2; // [dim] partial projection before allreduce
    private final float[] q; // [qHeads * headSize]
    private final float[] hb; // [hiddenPart]
    private final float[] hb2; // [hiddenPart]
    private final float[] att; // [seqLen] scores of one head
    private final float[] ropeCos; // [headSize / 2] for the current position
    private final float[] ropeSin; // [headSize / 2]
    private final float[] ropeFreq; // [headSize / 2]
    private final float[][] keyCache; // [layers][seqLen * kvDim]
    private final float[][] valueCache; // [layers][seqLen * kvDim]
    private final float[] localLogits; // [vocabStride]
    private final float[] logits; // [vocab]
    private final MemorySegment reduceBuf; // [dim] f32, handed to allReduce
    private final MemorySegment gatherSend; // [vocabStride] f32
    private final MemorySegment gatherRecv; // [shards * vocabStride] f32
    private long collectiveNs;

    public ShardForward(ShardPlan plan, int shard, ShardWeights weights, Communicator comm, int seqLen, Arena arena) {
        this.c = plan.config();
        this.w = weights;
        this.comm = comm;
        int hs = c.headSize();
        this.qHeads = plan.queryHeads().size(shard);
        this.firstHead = plan.queryHeads().start(shard);
        this.kvFirst = plan.kvStart(shard);
        this.kvDim = plan.kvCount(shard) * hs;
        this.hiddenPart = plan.hidden().size(shard);
        this.vocabPart = plan.vocab().size(shard);
        this.vocabStride = plan.vocab().maxSize();
        this.vocabStarts = new int[plan.shards() + 1];
        for (int s = 0; s < plan.shards(); s++) {
            vocabStarts[s + 1] = plan.vocab().start(s) + plan.vocab().size(s);
        }
        this.seqLen = seqLen;
        x = new float[c.dim()];
        xb = new float[c.dim()];
        xb2 = new float[c.dim()];
        q = new float[qHeads * hs];
        hb = new float[hiddenPart];
        hb2 = new float[hiddenPart];
        att = new float[seqLen];
        ropeCos = new float[hs / 2];
        ropeSin = new float[hs / 2];
        ropeFreq = new float[hs / 2];
        for (int i = 0; i < hs; i += 2) {
            // run.c: freq = 1.0f / powf(10000.0f, head_dim / (float)head_size)
            ropeFreq[i / 2] = 1.0f / (float) Math.pow(c.ropeTheta(), i / (float) hs);
        }
        keyCache = new float[c.layers()][seqLen * kvDim];
        valueCache = new float[c.layers()][seqLen * kvDim];
        localLogits = new float[vocabStride];
        logits = new float[c.vocabSize()];
        reduceBuf = arena.allocate(4L * c.dim(), 64);
        gatherSend = arena.allocate(4L * vocabStride, 64);
        gatherRecv = arena.allocate(4L * vocabStride * plan.shards(), 64);
    }

    /** Nanoseconds spent in collectives so far. */
    public long collectiveNs() {
        return collectiveNs;
    }

    public int seqLen() {
        return seqLen;
    }

    /** Logits of the token after {@code token} at position {@code pos}; the array is reused by the next call. */
    public float[] forward(int token, int pos) {
        final LlamaConfig c = this.c;
        final int dim = c.dim();
        final int hs = c.headSize();
        final int kvMul = c.kvMul();
        final float eps = c.normEps();
        Ops.row(w.tokenEmbedding, token, x);
        for (int i = 0; i < hs / 2; i++) {
            float val = pos * ropeFreq[i];
            ropeCos[i] = (float) Math.cos(val);
            ropeSin[i] = (float) Math.sin(val);
        }
        final long kvOff = (long) pos * kvDim;
        final float scale = (float) Math.sqrt(hs);
        for (int l = 0; l < c.layers(); l++) {
            Ops.rmsNorm(xb, x, w.attnNorm[l], dim, eps);
            final float[] kc = keyCache[l];
            final float[] vc = valueCache[l];
            MatVec.matVec(w.wq[l], xb, 0, q, 0);
            MatVec.matVec(w.wk[l], xb, 0, kc, (int) kvOff);
            MatVec.matVec(w.wv[l], xb, 0, vc, (int) kvOff);
            rope(q, 0, qHeads * hs, hs);
            rope(kc, (int) kvOff, kvDim, hs);
            for (int h = 0; h < qHeads; h++) {
                attend(h * hs, ((firstHead + h) / kvMul - kvFirst) * hs, kc, vc, pos, hs, scale);
            }
            MatVec.matVec(w.wo[l], xb, 0, xb2, 0);
            allReduce(xb2, dim);
            Ops.add(x, xb2, dim);
            Ops.rmsNorm(xb, x, w.ffnNorm[l], dim, eps);
            MatVec.matVec(w.w1[l], xb, 0, hb, 0);
            MatVec.matVec(w.w3[l], xb, 0, hb2, 0);
            Ops.swiGlu(hb, hb2, hiddenPart);
            MatVec.matVec(w.w2[l], hb, 0, xb2, 0);
            allReduce(xb2, dim);
            Ops.add(x, xb2, dim);
        }
        Ops.rmsNorm(x, x, w.outputNorm, dim, eps);
        if (comm.size() == 1) {
            MatVec.matVec(w.output, x, 0, logits, 0);
            return logits;
        }
        MatVec.matVec(w.output, x, 0, localLogits, 0);
        MemorySegment.copy(localLogits, 0, gatherSend, ValueLayout.JAVA_FLOAT, 0, vocabPart);
        long t0 = System.nanoTime();
        comm.allGather(gatherSend, gatherRecv, vocabStride, ElementType.F32);
        collectiveNs += System.nanoTime() - t0;
        for (int s = 0; s < vocabStarts.length - 1; s++) {
            MemorySegment.copy(gatherRecv, ValueLayout.JAVA_FLOAT, 4L * s * vocabStride, logits, vocabStarts[s],
                    vocabStarts[s + 1] - vocabStarts[s]);
        }
        return logits;
    }

    /** One head: scores against cached keys [0, pos], softmax, weighted sum of values into xb[qo, qo + hs). */
    private void attend(int qo, int ko, float[] kc, float[] vc, int pos, int hs, float scale) {
        final float[] q = this.q;
        final float[] att = this.att;
        final float[] xb = this.xb;
        final int kvDim = this.kvDim;
        for (int t = 0; t <= pos; t++) {
            final int kt = t * kvDim + ko;
            float score = 0f;
            for (int i = 0; i < hs; i++) {
                score += q[qo + i] * kc[kt + i];
            }
            att[t] = score / scale;
        }
        Ops.softmax(att, 0, pos + 1);
        for (int i = 0; i < hs; i++) {
            xb[qo + i] = 0f;
        }
        for (int t = 0; t <= pos; t++) {
            final int vt = t * kvDim + ko;
            final float a = att[t];
            for (int i = 0; i < hs; i++) {
                xb[qo + i] += a * vc[vt + i];
            }
        }
    }

    /** run.c's RoPE on v[off, off + n): pairs (i, i + 1) rotated by pos * freq(i % headSize). */
    private void rope(float[] v, int off, int n, int hs) {
        for (int i = 0; i < n; i += 2) {
            int pair = (i % hs) / 2;
            float fcr = ropeCos[pair];
            float fci = ropeSin[pair];
            float v0 = v[off + i];
            float v1 = v[off + i + 1];
            v[off + i] = v0 * fcr - v1 * fci;
            v[off + i + 1] = v0 * fci + v1 * fcr;
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
