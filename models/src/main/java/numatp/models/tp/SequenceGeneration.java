package numatp.models.tp;

import numatp.models.ModelException;
import numatp.models.sampling.Sampler;

import java.util.Arrays;
import java.util.function.IntPredicate;

/**
 * One sequence generated in slot 0 of any {@link SequenceEngine} (threads in this JVM or
 * worker processes): the prompt as batched steps of up to {@link SequenceEngine#maxBatchEntries()}
 * entries, then one entry per step, sampling on the caller's thread. What
 * {@link TpEngine#generate} runs; the same calls on engines whose logits are bitwise equal
 * give the same tokens.
 */
public final class SequenceGeneration {
    private SequenceGeneration() {
    }

    /**
     * Feeds {@code prompt} (starting with BOS, or the first text token), then samples until position
     * {@code steps} or until a next token for which {@code stop} holds (not passed to the listener).
     */
    public static TpEngine.Stats generate(SequenceEngine engine, int[] prompt, int steps, TpEngine.Sampling sampling,
                                          TpEngine.TokenListener listener, IntPredicate stop) {
        if (prompt.length < 1) {
            throw new ModelException("the prompt needs at least one token (BOS)");
        }
        if (steps < 1 || steps > engine.slotPositions()) {
            throw new ModelException("--steps must be in [1, " + engine.slotPositions() + "]: " + steps);
        }
        int vocab = engine.config().vocabSize();
        Sampler sampler = new Sampler(vocab, sampling.temperature(), sampling.topP(), sampling.topK(), sampling.seed());
        int max = engine.maxBatchEntries();
        int[] tokens = new int[max];
        int[] slots = new int[max];
        int[] positions = new int[max];
        float[][] logits = new float[max][];
        float[] out = new float[vocab];
        long collective0 = engine.counters().collectiveNs();
        long start = System.nanoTime();
        // Prefill: prompt positions whose successor is known need no logits.
        int fed = Math.min(prompt.length, steps);
        for (int from = 0; from < fed; from += max) {
            int n = Math.min(max, fed - from);
            for (int i = 0; i < n; i++) {
                int pos = from + i;
                tokens[i] = prompt[pos];
                positions[i] = pos;
                logits[i] = pos == prompt.length - 1 ? out : null;
            }
            engine.step(n, tokens, slots, positions, logits);
        }
        Arrays.fill(logits, null);
        int pos = 0;
        int token = prompt[0];
        long promptEnd = start;
        int promptTokens = 0;
        while (pos < steps) {
            if (pos >= fed) {
                tokens[0] = token;
                positions[0] = pos;
                logits[0] = out;
                engine.step(1, tokens, slots, positions, logits);
            }
            int next = pos < prompt.length - 1 ? prompt[pos + 1] : sampler.sample(out);
            pos++;
            if (pos == prompt.length) {
                promptEnd = System.nanoTime();
                promptTokens = pos;
            }
            if (stop.test(next)) {
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
        return new TpEngine.Stats(promptTokens, pos - promptTokens, promptEnd - start, end - promptEnd,
                engine.counters().collectiveNs() - collective0);
    }
}
