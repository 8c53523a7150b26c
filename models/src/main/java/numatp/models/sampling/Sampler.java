package numatp.models.sampling;

import numatp.models.ModelException;

/**
 * Picks the next token from logits as llama2.c's run.c does: temperature 0 is argmax
 * (first maximum); otherwise logits / temperature, softmax, one xorshift coin, then
 * top-p (nucleus) sampling when 0 < topP < 1 and plain multinomial otherwise. Top-k
 * (k > 0) keeps the k most likely tokens first. Shards with the same seed and the
 * same logits pick the same token. Allocation-free after construction.
 */
public final class Sampler {
    private final int vocabSize;
    private final float temperature;
    private final float topP;
    private final int topK;
    private long rngState;
    private final int[] order; // [vocab] candidate ids, sorted by probability for top-p/top-k
    private final float[] orderProb; // [vocab] their probabilities

    public Sampler(int vocabSize, float temperature, float topP, int topK, long seed) {
        check(temperature, topP, topK, seed);
        this.vocabSize = vocabSize;
        this.temperature = temperature;
        this.topP = topP;
        this.topK = topK;
        this.rngState = seed;
        this.order = new int[vocabSize];
        this.orderProb = new float[vocabSize];
    }

    /**
     * The one check of sampling settings, shared by this sampler and
     * {@link numatp.models.tp.TpEngine.Sampling}; messages name the {@code tp} flags.
     */
    public static void check(float temperature, float topP, int topK, long seed) {
        if (!(temperature >= 0) || Float.isInfinite(temperature)) {
            throw new ModelException("--temperature must be >= 0: " + temperature);
        }
        if (!(topP >= 0 && topP <= 1)) {
            throw new ModelException("--top-p must be in [0, 1]: " + topP);
        }
        if (topK < 0) {
            throw new ModelException("--top-k must be >= 0: " + topK);
        }
        if (seed == 0) {
            throw new ModelException("--seed must be non-zero (xorshift state)");
        }
    }

    /** run.c's random_u32 (xorshift*), as an unsigned value in a long. */
    long nextU32() {
        rngState ^= rngState >>> 12;
        rngState ^= rngState << 25;
        rngState ^= rngState >>> 27;
        return (rngState * 0x2545F4914F6CDD1DL) >>> 32;
    }

    /** run.c's random_f32 in [0, 1). */
    float nextF32() {
        return (nextU32() >>> 8) / 16777216.0f;
    }

    /** The next token; modifies {@code logits[0, vocab)} in place (probabilities afterwards). */
    public int sample(float[] logits) {
        if (temperature == 0f) {
            return argmax(logits, vocabSize);
        }
        for (int i = 0; i < vocabSize; i++) {
            logits[i] /= temperature;
        }
        numatp.models.kernels.Ops.softmax(logits, 0, vocabSize);
        float coin = nextF32();
        if (topK > 0 && topK < vocabSize) {
            return sampleTopK(logits, coin);
        }
        if (topP <= 0 || topP >= 1) {
            return sampleMult(logits, coin);
        }
        return sampleTopP(logits, coin);
    }

    public static int argmax(float[] p, int n) {
        int best = 0;
        float max = p[0];
        for (int i = 1; i < n; i++) {
            if (p[i] > max) {
                max = p[i];
                best = i;
            }
        }
        return best;
    }

    private int sampleMult(float[] p, float coin) {
        float cdf = 0f;
        for (int i = 0; i < vocabSize; i++) {
            cdf += p[i];
            if (coin < cdf) {
                return i;
            }
        }
        return vocabSize - 1;
    }

    private int sampleTopP(float[] p, float coin) {
        float cutoff = (1.0f - topP) / (vocabSize - 1);
        int n = 0;
        for (int i = 0; i < vocabSize; i++) {
            if (p[i] >= cutoff) {
                order[n] = i;
                orderProb[n] = p[i];
                n++;
            }
        }
        if (n == 0) {
            // every probability under the cutoff (a near-uniform distribution and a top-p below
            // 1 / vocab): the nucleus is the most likely token (run.c would index -1 here)
            return argmax(p, vocabSize);
        }
        // Only as many of the largest as the nucleus needs, largest first, popped until the
        // cumulative probability passes top-p: a full sort per token cost 0.9-3.8 ms at a
        // vocabulary of 32000. The order is total, so these are a full sort's first ones.
        heapify(n);
        float cumulative = 0f;
        int last = n - 1;
        for (int i = 0; i < n; i++) {
            final int end = popLargest(n, i);
            cumulative += orderProb[end];
            if (cumulative > topP) {
                last = i;
                break;
            }
        }
        reverse(n);
        return pick(last + 1, cumulative, coin);
    }

    private int sampleTopK(float[] p, float coin) {
        for (int i = 0; i < vocabSize; i++) {
            order[i] = i;
            orderProb[i] = p[i];
        }
        sortDescending(vocabSize);
        int n = topK;
        float total = 0f;
        for (int i = 0; i < n; i++) {
            total += orderProb[i];
        }
        if (topP > 0 && topP < 1) {
            float cumulative = 0f;
            for (int i = 0; i < n; i++) {
                cumulative += orderProb[i] / total;
                if (cumulative > topP) {
                    n = i + 1;
                    break;
                }
            }
            total = 0f;
            for (int i = 0; i < n; i++) {
                total += orderProb[i];
            }
        }
        return pick(n, total, coin);
    }

    private int pick(int n, float total, float coin) {
        float r = coin * total;
        float cdf = 0f;
        for (int i = 0; i < n; i++) {
            cdf += orderProb[i];
            if (r < cdf) {
                return order[i];
            }
        }
        return order[n - 1];
    }

    /** Sorts order/orderProb[0, n) by probability, descending (heap sort: no allocation, deterministic). */
    private void sortDescending(int n) {
        heapify(n);
        for (int i = 0; i < n; i++) {
            popLargest(n, i);
        }
        reverse(n);
    }

    /**
     * Order of candidates: by probability, ties by id (the smaller id is the larger). Total, so
     * any sort or selection by it gives the same sequence.
     */
    private boolean less(int a, int b) {
        return orderProb[a] < orderProb[b] || (orderProb[a] == orderProb[b] && order[a] > order[b]);
    }

    /** Makes [0, n) a heap with its largest at 0. */
    private void heapify(int n) {
        for (int i = n / 2 - 1; i >= 0; i--) {
            siftDown(i, n);
        }
    }

    /**
     * Pop number {@code popped} (0, 1, ...) from the heap that began as [0, n): moves its largest
     * to n - 1 - popped and returns that index; popped ones collect at the end, largest last.
     */
    private int popLargest(int n, int popped) {
        final int end = n - 1 - popped;
        swap(0, end);
        siftDown(0, end);
        return end;
    }

    /** Reverses [0, n): what {@link #popLargest} collected at the end now leads, largest first. */
    private void reverse(int n) {
        for (int a = 0, b = n - 1; a < b; a++, b--) {
            swap(a, b);
        }
    }

    private void siftDown(int i, int n) {
        while (true) {
            int l = 2 * i + 1;
            if (l >= n) {
                return;
            }
            int m = l + 1 < n && less(l, l + 1) ? l + 1 : l;
            if (!less(i, m)) {
                return;
            }
            swap(i, m);
            i = m;
        }
    }

    private void swap(int a, int b) {
        int t = order[a];
        order[a] = order[b];
        order[b] = t;
        float f = orderProb[a];
        orderProb[a] = orderProb[b];
        orderProb[b] = f;
    }
}
