package numatp.cli.bench.serve;

import java.util.List;
import java.util.Map;

/**
 * The statistics of one run, over its successful requests only (a failed request
 * has no latency worth mixing in; it is counted by error class instead). Times in
 * milliseconds.
 *
 * @param requests      measured requests sent
 * @param ok            requests that succeeded
 * @param rateLimited   requests answered HTTP 429
 * @param durationNs    from the first request sent to the last finished
 * @param promptTokens  sum of {@code usage.prompt_tokens} over the ok requests that reported it
 * @param promptCounted ok requests that reported {@code usage.prompt_tokens}
 * @param outputTokens  sum of output tokens over the ok requests that know theirs
 * @param outputCounted ok requests that know their output tokens
 * @param outputTokensPerChunk output tokens per text chunk of streamed requests (above 1: the server sends
 *                      several tokens per chunk, and inter-token latency is then per chunk); NaN if not streamed
 * @param latencyMs     request latency, send to last byte
 * @param ttftMs        time to first token (streamed requests that produced text)
 * @param itlMs         inter-token latency: every gap between text chunks of every ok request
 * @param tpotMs        time per output token after the first, per request
 * @param errors        failures per error class
 */
public record ServeBenchSummary(int requests, int ok, int rateLimited, long durationNs, long promptTokens,
                                int promptCounted, long outputTokens, int outputCounted,
                                double outputTokensPerChunk, Distribution latencyMs,
                                Distribution ttftMs, Distribution itlMs, Distribution tpotMs,
                                Map<String, Integer> errors) {
    /** The acceptance bar users quote for token-to-token latency fluctuation. */
    public static final double FLUCTUATION_BAR_MS = 1.0;

    public static ServeBenchSummary of(List<RequestResult> results, long durationNs) {
        List<RequestResult> ok = results.stream().filter(RequestResult::ok).toList();
        int gaps = ok.stream().mapToInt(r -> r.itlNs().length).sum();
        double[] itl = new double[gaps];
        int k = 0;
        for (RequestResult r : ok) {
            for (long gap : r.itlNs()) {
                itl[k++] = gap / 1e6;
            }
        }
        long chunkTokens = 0;
        long chunks = 0;
        for (RequestResult r : ok) {
            if (r.textChunks() > 0 && r.outputTokens() >= 0) {
                chunkTokens += r.outputTokens();
                chunks += r.textChunks();
            }
        }
        return new ServeBenchSummary(results.size(), ok.size(),
                (int) results.stream().filter(r -> "HTTP 429".equals(r.error())).count(), durationNs,
                ok.stream().filter(r -> r.promptTokens() >= 0).mapToLong(RequestResult::promptTokens).sum(),
                (int) ok.stream().filter(r -> r.promptTokens() >= 0).count(),
                ok.stream().filter(r -> r.outputTokens() >= 0).mapToLong(RequestResult::outputTokens).sum(),
                (int) ok.stream().filter(r -> r.outputTokens() >= 0).count(),
                chunks == 0 ? Double.NaN : (double) chunkTokens / chunks,
                Distribution.of(ok.stream().mapToDouble(r -> r.latencyNs() / 1e6).toArray()),
                Distribution.of(ok.stream().filter(r -> r.ttftNs() >= 0).mapToDouble(r -> r.ttftNs() / 1e6).toArray()),
                Distribution.of(itl),
                Distribution.of(ok.stream().filter(r -> r.tpotNs() >= 0).mapToDouble(r -> r.tpotNs() / 1e6).toArray()),
                ServeBench.errorCounts(results));
    }

    public int failed() {
        return requests - ok;
    }

    public double durationS() {
        return durationNs / 1e9;
    }

    public double requestsPerS() {
        return ok / durationS();
    }

    /** Output tokens per second, or NaN when no ok request knows its output tokens. */
    public double outputTokensPerS() {
        return outputCounted == 0 ? Double.NaN : outputTokens / durationS();
    }

    /** Prompt plus output tokens per second, or NaN unless every ok request reported both counts. */
    public double totalTokensPerS() {
        return promptCounted != ok || outputCounted != ok || ok == 0 ? Double.NaN
                : (promptTokens + outputTokens) / durationS();
    }

    public double promptTokensAvg() {
        return promptCounted == 0 ? Double.NaN : (double) promptTokens / promptCounted;
    }

    public double outputTokensAvg() {
        return outputCounted == 0 ? Double.NaN : (double) outputTokens / outputCounted;
    }
}
