package numatp.cli.bench.serve;

import java.io.PrintWriter;
import java.util.Locale;

/** Prints one run as the table users read: counts and throughput, then latency distributions in milliseconds. */
public final class ReportTable {
    /** Above this many output tokens per text chunk the table says that chunks carry several tokens. */
    private static final double CHUNKY = 1.05;

    private ReportTable() {
    }

    public static void print(ServeBenchRun run, ServeBenchSummary s, PrintWriter out) {
        ServeBenchConfig c = run.config();
        out.printf(Locale.ROOT, "tp bench serve%s: %s, model %s, %s, %s%n",
                c.label() == null ? "" : " \"" + c.label() + "\"", c.baseUrl(), run.model(), c.endpoint().path(),
                c.stream() ? "streamed" : "not streamed");
        out.printf(Locale.ROOT, "workload: %d requests, concurrency %d (closed loop), prompt ~%d tokens (%d words), "
                        + "max %d output tokens, temperature %s, seed %d, warm-up %d%n",
                c.requests(), c.concurrency(), c.promptTokens(), run.promptWords(), c.maxTokens(),
                trim(c.temperature()), c.seed(), c.warmup());
        if (run.replicas().known()) {
            out.println("server: " + run.replicas().describe());
        }
        out.println();
        out.printf(Locale.ROOT, "%-24s %d ok, %d failed (HTTP 429: %d)%n", "requests", s.ok(), s.failed(),
                s.rateLimited());
        out.printf(Locale.ROOT, "%-24s %.3f%n", "duration s", s.durationS());
        out.printf(Locale.ROOT, "%-24s %.2f%n", "requests/s", s.requestsPerS());
        out.printf(Locale.ROOT, "%-24s %s%s%n", "output tokens/s", number(s.outputTokensPerS()),
                s.ok() > 0 && s.promptCounted() == 0 && c.stream()
                        ? "   (counted as text chunks: the server sent no usage)" : "");
        out.printf(Locale.ROOT, "%-24s %s%n", "total tokens/s", number(s.totalTokensPerS()));
        out.printf(Locale.ROOT, "%-24s %s prompt, %s output%n", "tokens/request (avg)", number(s.promptTokensAvg()),
                number(s.outputTokensAvg()));
        if (s.outputTokensPerChunk() > CHUNKY) {
            out.printf(Locale.ROOT, "%-24s %.2f   (the server sends several tokens per chunk: inter-token latency is "
                    + "per chunk, time per output token is per token)%n", "output tokens/chunk", s.outputTokensPerChunk());
        }
        out.println();
        out.printf(Locale.ROOT, "%-24s %10s %10s %10s %10s %10s %8s%n", "", "avg ms", "p50 ms", "p95 ms", "p99 ms",
                "max ms", "samples");
        row(out, "request latency", s.latencyMs());
        row(out, "time to first token", s.ttftMs());
        row(out, "inter-token latency", s.itlMs());
        row(out, "time per output token", s.tpotMs());
        out.println();
        Distribution itl = s.itlMs();
        if (itl.count() > 0) {
            out.printf(Locale.ROOT, "ITL fluctuation: max-min %.3f ms (%s), stddev %.3f ms (%s)%n", itl.range(),
                    verdict(itl.range()), itl.stddev(), verdict(itl.stddev()));
        } else {
            out.println("ITL fluctuation: not measured (" + (c.stream() ? "no request streamed two text chunks"
                    : "needs --stream true") + ")");
        }
        if (s.failed() > 0) {
            out.println("errors: " + ServeBench.errorSummary(run.results()));
        }
        out.flush();
    }

    private static void row(PrintWriter out, String name, Distribution d) {
        if (d.count() == 0) {
            out.printf(Locale.ROOT, "%-24s %10s %10s %10s %10s %10s %8d%n", name, "-", "-", "-", "-", "-", 0);
            return;
        }
        out.printf(Locale.ROOT, "%-24s %10.2f %10.2f %10.2f %10.2f %10.2f %8d%n", name, d.mean(), d.p50(), d.p95(),
                d.p99(), d.max(), d.count());
    }

    private static String verdict(double ms) {
        return ms <= ServeBenchSummary.FLUCTUATION_BAR_MS ? "meets the <= 1 ms bar" : "above the <= 1 ms bar";
    }

    static String number(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.2f", v);
    }

    private static String trim(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
    }
}
