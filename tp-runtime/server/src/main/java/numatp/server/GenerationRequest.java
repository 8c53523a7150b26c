package numatp.server;

import numatp.models.tp.TpEngine;

import java.util.List;

/**
 * One sequence to generate, already validated against the model: the prompt as tokens
 * (BOS first), at most {@code maxTokens} new tokens, how to sample, the strings that
 * end the text early (not included in it), and the tokens that end it besides EOS and
 * BOS (a chat template's end of turn, such as {@code <|im_end|>}; not included either).
 */
public record GenerationRequest(int[] promptTokens, int maxTokens, TpEngine.Sampling sampling, List<String> stops,
                                int[] stopTokens) {
    public GenerationRequest(int[] promptTokens, int maxTokens, TpEngine.Sampling sampling, List<String> stops) {
        this(promptTokens, maxTokens, sampling, stops, new int[0]);
    }

    public GenerationRequest {
        if (promptTokens.length < 1) {
            throw new IllegalArgumentException("a prompt needs at least one token");
        }
        if (maxTokens < 1) {
            throw new IllegalArgumentException("maxTokens must be >= 1: " + maxTokens);
        }
        promptTokens = promptTokens.clone();
        stops = List.copyOf(stops);
        stopTokens = stopTokens.clone();
    }

    /** Whether sampling {@code token} ends the sequence (besides EOS and BOS, which always do). */
    public boolean isStopToken(int token) {
        for (int t : stopTokens) {
            if (t == token) {
                return true;
            }
        }
        return false;
    }

    /** Positions of the KV cache this request can fill: the prompt plus every token but the last. */
    public int positionsNeeded() {
        return promptTokens.length + maxTokens - 1;
    }
}
