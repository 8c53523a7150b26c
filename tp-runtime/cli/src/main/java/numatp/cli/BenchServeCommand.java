package numatp.cli;

import com.fasterxml.jackson.databind.JsonNode;
import numatp.cli.bench.serve.Comparison;
import numatp.cli.bench.serve.Endpoint;
import numatp.cli.bench.serve.ReportTable;
import numatp.cli.bench.serve.ServeBench;
import numatp.cli.bench.serve.ServeBenchConfig;
import numatp.cli.bench.serve.ServeBenchException;
import numatp.cli.bench.serve.ServeBenchReport;
import numatp.cli.bench.serve.ServeBenchRun;
import numatp.cli.bench.serve.ServeBenchSummary;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code tp bench serve}: a load client for any OpenAI-compatible server ({@code tp serve},
 * vLLM, llama.cpp's server). It measures what users of such servers quote: request
 * latency, time to first token, inter-token latency and its fluctuation, requests/s and
 * tokens/s; saves them as JSON and compares a run with a saved baseline.
 */
@Command(name = "serve",
        description = "Load-test an OpenAI-compatible server: latency, TTFT, inter-token latency, throughput; "
                + "save (--output-file) and compare (--compare) runs.")
final class BenchServeCommand implements Callable<Integer> {
    @Option(names = "--url", paramLabel = "URL", description = "The server's root URL (default: ${DEFAULT-VALUE}).")
    String url = "http://127.0.0.1:8080";

    @Option(names = "--requests", paramLabel = "N", description = "Measured requests (default: ${DEFAULT-VALUE}).")
    int requests = 50;

    @Option(names = "--concurrency", paramLabel = "N",
            description = "Requests in flight: N workers, each sends its next request when the last one ends "
                    + "(default: ${DEFAULT-VALUE}).")
    int concurrency = 4;

    @Option(names = "--prompt-tokens", paramLabel = "N",
            description = "Prompt length to aim at, in the server's tokens (default: ${DEFAULT-VALUE}).")
    int promptTokens = 128;

    @Option(names = "--max-tokens", paramLabel = "N", description = "max_tokens of each request (default: ${DEFAULT-VALUE}).")
    int maxTokens = 128;

    @Option(names = "--endpoint", paramLabel = "completions|chat",
            description = "/v1/completions or /v1/chat/completions (default: ${DEFAULT-VALUE}).")
    String endpoint = "completions";

    @Option(names = "--stream", paramLabel = "true|false", arity = "0..1", fallbackValue = "true",
            description = "Stream the answers (server-sent events); TTFT and inter-token latency need it "
                    + "(default: ${DEFAULT-VALUE}).")
    String stream = "true";

    @Option(names = "--seed", paramLabel = "S", description = "Seeds the prompts and the requests' seed field "
            + "(default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--warmup", paramLabel = "K",
            description = "Unmeasured requests first; they also calibrate the prompt length (default: ${DEFAULT-VALUE}).")
    int warmup = 1;

    @Option(names = "--temperature", paramLabel = "T", description = "Sampling temperature (default: ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--request-timeout", paramLabel = "SECONDS",
            description = "Cut off and count as failed a request running longer (default: ${DEFAULT-VALUE}).")
    double requestTimeoutS = 300;

    @Option(names = "--model", paramLabel = "ID", description = "Model id to request (default: the first of GET /v1/models).")
    String model;

    @Option(names = "--label", paramLabel = "TEXT", description = "Name of this run in the JSON and in comparisons, "
            + "e.g. \"pinned, 2 nodes\".")
    String label;

    @CommandLine.Mixin
    OutputFileOptions outputFile;

    @Option(names = "--compare", paramLabel = "BASELINE.json",
            description = "Compare this run with one saved by --output-file, metric by metric.")
    Path compare;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (!(requestTimeoutS > 0) || requestTimeoutS > 86_400) {
            throw new UsageException("--request-timeout must be in (0, 86400] seconds: " + requestTimeoutS);
        }
        boolean streamed = switch (stream.strip().toLowerCase(java.util.Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new UsageException("--stream must be true or false: " + stream);
        };
        ServeBenchConfig config = new ServeBenchConfig(ServeBenchConfig.parseUrl(url), requests, concurrency,
                promptTokens, maxTokens, Endpoint.parse(endpoint), streamed, seed, warmup, temperature,
                Math.round(requestTimeoutS * 1000), model, label);
        JsonNode baseline = compare == null ? null : ServeBenchReport.readBaseline(compare, "--compare");
        outputFile.checkWritable();
        ServeBenchRun run;
        try {
            run = ServeBench.run(config, err);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ServeBenchException("interrupted before the run finished");
        }
        ServeBenchSummary summary = ServeBenchSummary.of(run.results(), run.durationNs());
        ReportTable.print(run, summary, out);
        ServeBenchReport report = ServeBenchReport.of(run, summary);
        if (outputFile.file != null) {
            try {
                report.write(outputFile.file);
            } catch (IOException e) {
                throw new ServeBenchException("--output-file cannot be written: " + outputFile.file + ": " + e.getMessage(), e);
            }
            out.println("wrote " + outputFile.file);
        }
        if (summary.ok() == 0) {
            throw new ServeBenchException("all " + summary.requests() + " requests failed: "
                    + ServeBench.errorSummary(run.results()));
        }
        if (baseline != null) {
            out.println();
            Comparison.print(baseline, compare.toString(), report.toTree(), out);
        }
        return 0;
    }
}
