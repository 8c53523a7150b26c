package numatp.runtime.engine;

import numatp.models.tp.SequenceEngine;

import java.util.SplittableRandom;

/**
 * Runs throw-away steps through an engine before real work (serving, a generation) until the
 * JIT has compiled its kernels: the Vector API runs 10-100x slower interpreted, so without this
 * the first requests after start-up paid for compilation (stories260K, 100 tokens: 0.96 s for
 * the first request, 0.06-0.11 s for the next). Each round is a short prefill, a few
 * single-entry decode steps and a batched step over several slots, so the matVec, batched
 * matMul and attention paths are all compiled. Before the rounds, one sequence decodes from
 * position 0 as far as {@link #LONG_DECODE_POSITIONS} (or the slot, or half the time allowed):
 * attention's loops over long contexts were otherwise compiled only during the real work
 * (stories260K, 255 tokens: decode 700-3,500 tok/s in {@code tp generate} against 11-13k in
 * {@code tp bench generate}, whose warm-up is a whole generation). Leaves nothing behind: every
 * slot may restart at position 0.
 */
public final class EngineWarmUp {
    /** What the warm-up did. */
    public record Result(int rounds, long elapsedNs, boolean jitQuiet) {
    }

    private EngineWarmUp() {
    }

    /**
     * Runs rounds for at least one round and until the JIT has been quiet (see {@link JitQuiet})
     * or {@code maxSeconds} have passed; {@code maxSeconds} 0 runs nothing.
     */
    public static Result run(SequenceEngine engine, double maxSeconds) {
        long start = System.nanoTime();
        if (maxSeconds <= 0) {
            return new Result(0, 0, false);
        }
        final int vocabSize = engine.config().vocabSize();
        longDecode(engine, start + (long) (maxSeconds * 0.5e9));
        int maxPrefill = Math.max(1, Math.min(Math.min(8, engine.slotPositions() - 4), engine.maxBatchEntries()));
        int maxBatch = Math.min(Math.min(4, engine.slots()), engine.maxBatchEntries());
        int[] tokens = new int[Math.max(maxPrefill, maxBatch)];
        int[] slots = new int[tokens.length];
        int[] positions = new int[tokens.length];
        float[][] logits = new float[tokens.length][];
        float[] out = new float[vocabSize];
        SplittableRandom random = new SplittableRandom(17);
        JitQuiet quiet = new JitQuiet(0, maxSeconds);
        int everySize = maxPrefill * maxBatch;
        int rounds = 0;
        boolean settled;
        do {
            // Sizes change every round: a batched kernel compiled only for full groups of four
            // entries is deoptimised by the first prompt of another length (a 3-token prompt then
            // ran interpreted: 0.5 s for its first request).
            int prefill = 1 + rounds % maxPrefill;
            int decodes = Math.max(0, Math.min(4, engine.slotPositions() - prefill));
            int batch = 1 + rounds % maxBatch;
            // prefill of slot 0: logits for the last entry only, as the scheduler asks
            for (int i = 0; i < prefill; i++) {
                tokens[i] = random.nextInt(vocabSize);
                slots[i] = 0;
                positions[i] = i;
                logits[i] = i == prefill - 1 ? out : null;
            }
            engine.step(prefill, tokens, slots, positions, logits);
            for (int d = 0; d < decodes; d++) {
                tokens[0] = random.nextInt(vocabSize);
                positions[0] = prefill + d;
                logits[0] = out;
                engine.step(1, tokens, slots, positions, logits);
            }
            // one entry per slot, every slot (re)starting at position 0
            for (int i = 0; i < batch; i++) {
                tokens[i] = random.nextInt(vocabSize);
                slots[i] = i;
                positions[i] = 0;
                logits[i] = out;
            }
            engine.step(batch, tokens, slots, positions, logits);
            rounds++;
            settled = rounds >= everySize && quiet.settled();
        } while (!settled && !quiet.expired());
        return new Result(rounds, System.nanoTime() - start, settled);
    }

    /** Positions the long decode pass reaches at most. */
    static final int LONG_DECODE_POSITIONS = 256;

    /** Slot 0 decodes one entry per step from position 0 until the cap, the slot's end or {@code deadlineNs}. */
    private static void longDecode(SequenceEngine engine, long deadlineNs) {
        int positions = Math.min(LONG_DECODE_POSITIONS, engine.slotPositions());
        int[] token = new int[1];
        int[] slot = new int[1];
        int[] position = new int[1];
        float[][] logits = {new float[engine.config().vocabSize()]};
        SplittableRandom random = new SplittableRandom(29);
        for (int p = 0; p < positions && (p == 0 || System.nanoTime() < deadlineNs); p++) {
            token[0] = random.nextInt(engine.config().vocabSize());
            position[0] = p;
            engine.step(1, token, slot, position, logits);
        }
    }
}
