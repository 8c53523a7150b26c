package numatp.cli.bench.serve;

/**
 * What one request measured. Times are {@link System#nanoTime()} values or
 * differences of them. A failed request keeps only its error; the statistics use
 * successful ones only.
 *
 * @param error         {@code null} when the request succeeded; else its class for counting, e.g.
 *                      {@code HTTP 429}, {@code HTTP 500}, {@code timeout}, {@code connection refused},
 *                      {@code invalid response}, {@code stream error}, {@code incomplete stream}
 * @param errorDetail   what went wrong, for the user (the server's error message when it sent one)
 * @param startNs       when the request was sent
 * @param endNs         when the last piece arrived ({@code data: [DONE]}, or the end of the body)
 * @param ttftNs        time to the first chunk with text; {@code -1} when not streamed or no text came
 * @param itlNs         gaps between consecutive chunks with text (inter-token latency), in order
 * @param promptTokens  {@code usage.prompt_tokens}; {@code -1} when the server did not say
 * @param outputTokens  {@code usage.completion_tokens}, else the number of chunks with text; {@code -1} unknown
 * @param streamed      the answer came as server-sent events
 */
public record RequestResult(String error, String errorDetail, long startNs, long endNs, long ttftNs, long[] itlNs,
                            int promptTokens, int outputTokens, boolean streamed) {
    private static final long[] NO_GAPS = new long[0];

    public static RequestResult failed(String error, String detail, long startNs, long endNs) {
        return new RequestResult(error, detail, startNs, endNs, -1, NO_GAPS, -1, -1, false);
    }

    public boolean ok() {
        return error == null;
    }

    public long latencyNs() {
        return endNs - startNs;
    }

    /** Chunks of a stream that carried text: the first token's, then one per inter-token gap. */
    public int textChunks() {
        return ttftNs < 0 ? 0 : itlNs.length + 1;
    }

    /**
     * Time per output token after the first, {@code (latency - ttft) / (outputTokens - 1)}, as vLLM
     * defines it; {@code -1} unless streamed with at least two output tokens.
     */
    public double tpotNs() {
        if (ttftNs < 0 || outputTokens < 2) {
            return -1;
        }
        return (double) (latencyNs() - ttftNs) / (outputTokens - 1);
    }
}
