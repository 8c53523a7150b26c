package numatp.runtime.serve;

import java.util.List;

/**
 * One sequence to generate, already validated against the model: the prompt as tokens
 * (BOS first), at most {@code maxTokens} new tokens, how to sample, and the strings that
 * end the text early (not included in it).
 */
public record GenerationRequest(int[] promptTokens, int maxTokens, SamplingParams sampling, List<String> stops) {
    public GenerationRequest {
        if (promptTokens.length < 1) {
            throw new IllegalArgumentException("a prompt needs at least one token");
        }
        if (maxTokens < 1) {
            throw new IllegalArgumentException("maxTokens must be >= 1: " + maxTokens);
        }
        promptTokens = promptTokens.clone();
        stops = List.copyOf(stops);
    }

    /** Positions of the KV cache this request can fill: the prompt plus every token but the last. */
    public int positionsNeeded() {
        return promptTokens.length + maxTokens - 1;
    }
}
