package numatp.server;

import numatp.models.sampling.Sampler;
import numatp.models.tokenizer.TextTokenizer;
import numatp.models.tp.TpEngine;

/**
 * The scheduler's state of one request. Everything but {@link #cancelled} belongs to the
 * scheduler thread.
 */
final class Sequence implements Generation {
    final GenerationRequest request;
    final GenerationSink sink;
    final int[] tokens; // [prompt + maxTokens]: prompt, then the tokens sampled so far
    final int promptLength;
    final long submittedNs;
    Sampler sampler; // made at admission (a vocabulary-sized buffer per request)
    CompletionText text;
    int slot = -1;
    int fed; // tokens fed to the engine = the next position of the slot
    int generated; // tokens sampled (excluding a final EOS/BOS)
    long firstTokenNs;
    long lastTokenNs;
    private volatile boolean cancelled; // written by any thread, read by the scheduler each step

    Sequence(GenerationRequest request, GenerationSink sink) {
        this.request = request;
        this.sink = sink;
        this.promptLength = request.promptTokens().length;
        this.tokens = new int[promptLength + request.maxTokens()];
        System.arraycopy(request.promptTokens(), 0, tokens, 0, promptLength);
        this.submittedNs = System.nanoTime();
    }

    void admit(int slot, int vocabSize, TextTokenizer tokenizer) {
        TpEngine.Sampling p = request.sampling();
        this.slot = slot;
        this.sampler = new Sampler(vocabSize, p.temperature(), p.topP(), p.topK(), p.seed());
        this.text = new CompletionText(tokenizer, request.stops());
    }

    boolean prefilled() {
        return fed >= promptLength;
    }

    /** The last token known: the one to feed next once the prompt is in. */
    int lastToken() {
        return tokens[promptLength + generated - 1];
    }

    @Override
    public void cancel() {
        cancelled = true;
    }

    boolean cancelled() {
        return cancelled;
    }
}
