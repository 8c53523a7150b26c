package numatp.cli;

import numatp.models.LlamaConfig;
import numatp.models.ModelFiles;
import numatp.models.tokenizer.TextTokenizer;
import numatp.models.tokenizer.Tokenizer;
import numatp.models.tp.SequenceEngine;
import numatp.models.tp.SequenceGeneration;
import numatp.models.tp.TpEngine;
import numatp.runtime.config.NumaTensorParallelConfig;
import numatp.runtime.engine.EngineLayouts;
import numatp.runtime.engine.EngineRuntime;
import numatp.runtime.engine.EngineWarmUp;
import numatp.topology.Topology;
import numatp.weights.ModelTensors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.function.IntPredicate;

/**
 * {@code tp generate}: prints the prompt and its continuation exactly as llama2.c's
 * run.c does, and a stats line on stderr.
 */
@Command(name = "generate", description = "Generate text with a Llama model (llama2.c or GGUF), sharded over threads.",
        modelTransformer = RequiredOptions.Model.class)
final class GenerateCommand implements Runnable {
    @CommandLine.Mixin
    ModelOptions models;

    @Option(names = "--prompt", description = "Prompt text (default: none, as run.c).")
    String prompt;

    @Option(names = {"--steps", "-n"}, description = "Positions to run including the prompt, as run.c's -n (default: 256, capped at the context length).")
    Integer steps;

    @Option(names = "--max-tokens", description = "Tokens to generate after the prompt (instead of --steps).")
    Integer maxTokens;

    @CommandLine.Mixin
    SamplingOptions sampling = SamplingOptions.defaultTemperature(1.0f);

    @Option(names = "--seed", defaultValue = "0", description = "Sampling seed; 0 = from the clock, as run.c.")
    long seed;

    @Option(names = "--warmup-seconds", paramLabel = "SECONDS", defaultValue = "3",
            description = "Before generating, run throw-away steps until the JIT has compiled the kernels, for at most"
                    + " this long, so the tokens/s line measures the model, not the compiler (default ${DEFAULT-VALUE};"
                    + " 0 skips it).")
    double warmupSeconds;

    @CommandLine.Mixin
    ConfigOptions options;

    @CommandLine.Mixin
    TopologyRootOptions topologyRoot;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (steps != null && maxTokens != null) {
            throw new UsageException("--steps and --max-tokens exclude each other");
        }
        if (!(warmupSeconds >= 0 && warmupSeconds <= 3600)) {
            throw new UsageException("--warmup-seconds must be in [0, 3600]: " + warmupSeconds);
        }
        TpEngine.Sampling samplingSettings = sampling.toSampling(seed != 0 ? seed : System.currentTimeMillis() / 1000);
        NumaTensorParallelConfig tp = options.toOneEngineConfig("tp generate");
        int shards = tp.shards();
        Topology topology = topologyRoot.detect();
        boolean simulated = topologyRoot.simulated();
        long t0 = System.nanoTime();
        try (ModelTensors tensors = ModelFiles.open(models.model)) {
            long openNs = System.nanoTime() - t0;
            LlamaConfig config = LlamaConfig.of(tensors.hp());
            TextTokenizer tok = ModelFiles.textTokenizer(models.model, models.tokenizer, config.vocabSize());
            // A GGUF vocabulary stops where llama.cpp does (EOS, end of turn); a llama2.c one at BOS, as run.c.
            IntPredicate stop = models.tokenizer == null && ModelFiles.isGguf(models.model) ? tok::isEndOfGeneration
                    : id -> id == Tokenizer.BOS;
            int[] promptTokens = tok.encode(prompt == null ? "" : prompt, true, false);
            if (promptTokens.length == 0) {
                throw new UsageException("--prompt is required: this model's vocabulary adds no BOS token to start from");
            }
            int n;
            if (maxTokens != null) {
                if (maxTokens < 1) {
                    throw new UsageException("--max-tokens must be >= 1: " + maxTokens);
                }
                n = promptTokens.length - 1 + maxTokens;
            } else {
                n = steps == null ? 256 : steps;
                if (n < 1) {
                    throw new UsageException("--steps must be >= 1: " + n);
                }
            }
            n = Math.min(n, config.contextLength());
            if (shards > config.heads()) {
                throw new UsageException("--shards must be in [1, " + config.heads() + "] (query heads of the model): " + shards);
            }
            try (EngineRuntime runtime = EngineLayouts.start(tensors, models.model, tp, topology, simulated,
                    TpEngine.Capacity.singleSequence(n), line -> {
                        err.println(line);
                        err.flush();
                    })) {
                SequenceEngine engine = runtime.engine();
                long loadNs = System.nanoTime() - t0;
                err.println(runtime.loadLine(openNs, t0));
                err.flush();
                EngineWarmUp.Result warm = EngineWarmUp.run(engine, warmupSeconds);
                Utf8Output text = new Utf8Output(out);
                if (promptTokens[0] != tok.bos()) {
                    // No BOS in front (Qwen): the first prompt token is text, and generate() reports only its successors.
                    text.write(tok.decode(-1, promptTokens[0]));
                }
                TpEngine.Stats stats = SequenceGeneration.generate(engine, promptTokens, n,
                        samplingSettings,
                        (prev, next) -> text.write(tok.decode(prev, next)), stop);
                text.finish();
                out.println();
                out.flush();
                err.println(String.format(Locale.ROOT,
                        "load %.3f s; warm-up %.1f s; prompt %d tok at %.1f tok/s; decode %d tok at %.1f tok/s; shards %d;"
                                + " collectives %.1f%% of time; %s",
                        loadNs / 1e9, warm.elapsedNs() / 1e9, stats.promptTokens(), stats.promptTokensPerSecond(), stats.decodeTokens(),
                        stats.decodeTokensPerSecond(), shards, 100 * stats.collectiveShare(),
                        runtime.placementSummary()));
                err.println(runtime.bindingSummary() + placement(runtime));
                err.flush();
            }
        }
    }

    /** " on node 0 (shards 0-1)" per node used, from the plan. */
    private static String placement(EngineRuntime runtime) {
        StringBuilder sb = new StringBuilder(";");
        for (var node : runtime.plan().usedNodes()) {
            sb.append(" node ").append(node.id()).append(": shards ").append(node.shards().toListString()).append(';');
        }
        sb.setLength(sb.length() - 1);
        return sb.toString();
    }
}
