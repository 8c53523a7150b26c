package numatp.cli;

import numatp.models.LlamaConfig;
import numatp.models.ModelFiles;
import numatp.models.SyntheticModels;
import numatp.models.tokenizer.Tokenizer;
import numatp.models.tp.SequenceEngine;
import numatp.models.tp.SequenceGeneration;
import numatp.models.tp.TpEngine;
import numatp.runtime.config.NumaTensorParallelConfig;
import numatp.runtime.config.WorkerLayout;
import numatp.runtime.engine.EngineLayouts;
import numatp.runtime.engine.EngineRuntime;
import numatp.runtime.engine.JitQuiet;
import numatp.weights.ModelTensors;
import numatp.weights.TensorType;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.IntPredicate;

/**
 * {@code tp bench generate}: prompt and decode tokens/s of the sharded engine, the
 * median of several runs after warm-up runs, on a model file or a synthetic model.
 */
@Command(name = "generate", description = "Measure prompt and decode tokens/s (median of runs after warm-up).")
final class BenchGenerateCommand implements Runnable {
    @CommandLine.Mixin
    ModelOptions models;

    @Option(names = "--synthetic", description = "Random model: dim 2048, hidden 5632, 32 heads, 8 KV heads, vocab 32000.")
    boolean synthetic;

    @Option(names = "--layers", defaultValue = "16", description = "Layers of the synthetic model (default: ${DEFAULT-VALUE}).")
    int layers;

    @Option(names = "--type", defaultValue = "Q8_0", description = "Matrix type of the synthetic model: F32, F16, BF16, Q8_0, Q4_0.")
    TensorType type;

    @picocli.CommandLine.Mixin
    ConfigOptions options;

    @CommandLine.Mixin
    TopologyRootOptions topologyRoot;

    @Option(names = "--prompt-tokens", defaultValue = "16", description = "Prompt length in tokens (random ids).")
    int promptTokens;

    @Option(names = "--steps", defaultValue = "256", description = "Positions per run, prompt included.")
    int steps;

    @CommandLine.Mixin
    SamplingOptions sampling = SamplingOptions.defaultTemperature(0f);

    @Option(names = "--runs", defaultValue = "5", description = "Measured runs; the figures are their medians (default ${DEFAULT-VALUE}).")
    int runs;

    @CommandLine.Mixin
    OutputFileOptions outputFile;

    @Option(names = "--warmup", defaultValue = "-1", description = "Warm-up runs before measuring; default: for at"
            + " least " + AUTO_WARMUP_SECONDS + " s and until the JIT has compiled nothing for "
            + JitQuiet.QUIET_MILLIS + " ms (at most " + MAX_AUTO_WARMUP_SECONDS + " s).")
    int warmup;

    private static final int AUTO_WARMUP_SECONDS = 3;
    /** As TpEngine.generate: stop at a generated BOS, as run.c. */
    private static final IntPredicate RUN_C_STOP = id -> id == Tokenizer.BOS;
    private static final int MAX_AUTO_WARMUP_SECONDS = 20;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        PrintWriter out = spec.commandLine().getOut();
        Path model = models.model;
        if ((model == null) == !synthetic) {
            throw new UsageException("give exactly one of --model FILE and --synthetic");
        }
        if (runs < 1 || warmup < -1 || promptTokens < 1 || steps <= promptTokens) {
            throw new UsageException("need --runs >= 1, --warmup >= 0, 1 <= --prompt-tokens < --steps");
        }
        TpEngine.Sampling settings = sampling.toSampling(1234);
        outputFile.checkWritable();
        long t0 = System.nanoTime();
        try (Arena arena = Arena.ofShared();
             ModelTensors tensors = synthetic
                     ? SyntheticModels.create(new LlamaConfig(2048, 5632, layers, 32, 8, 32000, 2048, 10000f, 1e-5f),
                     type, 42, arena)
                     : ModelFiles.open(model)) {
            long openNs = System.nanoTime() - t0;
            LlamaConfig c = LlamaConfig.of(tensors.hp());
            NumaTensorParallelConfig tp = options.toOneEngineConfig("tp bench generate");
            if (synthetic && tp.workers() == WorkerLayout.PROCESSES) {
                throw new UsageException("--workers processes needs --model FILE (each worker maps the file itself);"
                        + " --synthetic runs with --workers threads");
            }
            int shards = tp.shards();
            int n = Math.min(steps, c.contextLength());
            if (shards < 1 || shards > c.heads()) {
                throw new UsageException("--shards must be in [1, " + c.heads() + "]: " + shards);
            }
            int[] prompt = new int[Math.min(promptTokens, n - 1)];
            SplittableRandom rnd = new SplittableRandom(7);
            prompt[0] = 1;
            for (int i = 1; i < prompt.length; i++) {
                prompt[i] = 3 + rnd.nextInt(c.vocabSize() - 3);
            }
            PrintWriter errOut = spec.commandLine().getErr();
            try (EngineRuntime runtime = EngineLayouts.start(tensors, model, tp,
                    topologyRoot.detect(), topologyRoot.simulated(),
                    TpEngine.Capacity.singleSequence(n), line -> {
                        errOut.println(line);
                        errOut.flush();
                    })) {
                SequenceEngine engine = runtime.engine();
                errOut.println(runtime.loadLine(openNs, t0));
                errOut.flush();
                double[] promptTps = new double[runs];
                double[] decodeTps = new double[runs];
                double[] collective = new double[runs];
                int decodeCount = 0;
                JitQuiet quiet = new JitQuiet(AUTO_WARMUP_SECONDS, MAX_AUTO_WARMUP_SECONDS);
                for (int w = 0; warmup < 0 ? w < 1 || !quiet.reached() : w < warmup; w++) {
                    SequenceGeneration.generate(engine, prompt, n, settings.withSeed(1000 + w), (prev, next) -> { },
                            RUN_C_STOP);
                }
                for (int r = 0; r < runs; r++) {
                    TpEngine.Stats s = SequenceGeneration.generate(engine, prompt, n, settings.withSeed(1234 + r),
                            (prev, next) -> { }, RUN_C_STOP);
                    decodeCount = s.decodeTokens();
                    promptTps[r] = s.promptTokensPerSecond();
                    decodeTps[r] = s.decodeTokensPerSecond();
                    collective[r] = s.collectiveShare();
                }
                out.println(String.format(Locale.ROOT,
                        "model %s; shards %d; prompt %d tok: median %.1f tok/s;"
                                + " decode %d tok: median %.1f tok/s = %.1f us/step (runs %s); collectives %.1f%% of time;"
                                + " workers %s; %s",
                        synthetic ? "synthetic dim 2048 x " + layers + " layers " + type : model, shards,
                        prompt.length, median(promptTps), decodeCount,
                        median(decodeTps), 1e6 / median(decodeTps), Arrays.toString(Arrays.stream(decodeTps).mapToLong(Math::round).toArray()),
                        100 * median(collective), tp.workers().name().toLowerCase(Locale.ROOT),
                        runtime.placementSummary()));
                out.println(runtime.bindingSummary());
                if (outputFile.file != null) {
                    writeJson(settings, tp, prompt.length, decodeCount, n, promptTps, decodeTps, collective,
                            runtime.placementSummary(), runtime.bindingSummary());
                    out.println("wrote " + outputFile.file);
                }
            }
        }
    }

    private void writeJson(TpEngine.Sampling settings, NumaTensorParallelConfig tp, int promptLength, int decodeCount, int positions,
                           double[] promptTps, double[] decodeTps, double[] collective, String placement,
                           String binding) {
        Map<String, Object> machine = new LinkedHashMap<>();
        machine.put("cpus", Runtime.getRuntime().availableProcessors());
        machine.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        machine.put("java", Runtime.version().toString());
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("model", synthetic ? null : models.model.toString());
        config.put("synthetic", synthetic ? "dim 2048, " + layers + " layers, " + type.name() : null);
        config.put("shards", tp.shards());
        config.put("numaNodes", tp.numaNodes() == null || tp.numaNodes().isEmpty() ? "all" : tp.numaNodes().toString());
        config.put("pinningPolicy", tp.pinningPolicy().name().toLowerCase(Locale.ROOT));
        config.put("workers", tp.workers().name().toLowerCase(Locale.ROOT));
        config.put("workersPerNode", tp.workersPerNode());
        config.put("topologyRoot", topologyRoot.simulated() ? topologyRoot.root().toString() : null);
        config.put("promptTokens", promptLength);
        config.put("positions", positions);
        config.put("runs", runs);
        config.put("warmup", warmup < 0 ? "auto" : warmup);
        config.put("temperature", settings.temperature());
        config.put("topP", settings.topP());
        config.put("topK", settings.topK());
        Map<String, Object> results = new LinkedHashMap<>();
        results.put("promptTokens", promptLength);
        results.put("decodeTokens", decodeCount);
        results.put("promptTokPerS", figures(promptTps));
        results.put("decodeTokPerS", figures(decodeTps));
        results.put("collectiveShare", median(collective));
        results.put("placement", placement);
        results.put("binding", binding);
        BenchJson.write(outputFile.file, machine, config, results);
    }

    private static Map<String, Object> figures(double[] runs) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("median", median(runs));
        m.put("runs", runs);
        return m;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
