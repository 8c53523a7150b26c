package numatp.cli;

import numatp.models.LlamaConfig;
import numatp.models.ModelFiles;
import numatp.models.tokenizer.TextTokenizer;
import numatp.models.tokenizer.Tokenizer;
import numatp.models.tp.TpEngine;
import numatp.runtime.config.NumaTensorParallelConfig;
import numatp.runtime.engine.EngineWarmUp;
import numatp.runtime.engine.TpRuntime;
import numatp.topology.Topology;
import numatp.weights.ModelTensors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.IntPredicate;

/**
 * {@code tp generate}: prints the prompt and its continuation exactly as llama2.c's
 * run.c does, and a stats line on stderr.
 */
@Command(name = "generate", description = "Generate text with a Llama model (llama2.c or GGUF), sharded over threads.")
final class GenerateCommand implements Runnable {
    @Option(names = "--model", required = true, description = "Model file: llama2.c .bin or GGUF.")
    Path model;

    @Option(names = "--tokenizer", description = "llama2.c tokenizer.bin (default: the GGUF vocabulary, or tokenizer.bin next to the model).")
    Path tokenizer;

    @Option(names = "--prompt", description = "Prompt text (default: none, as run.c).")
    String prompt;

    @Option(names = {"--steps", "-n"}, description = "Positions to run including the prompt, as run.c's -n (default: 256, capped at the context length).")
    Integer steps;

    @Option(names = "--max-tokens", description = "Tokens to generate after the prompt (instead of --steps).")
    Integer maxTokens;

    @Option(names = "--temperature", defaultValue = "1.0", description = "0 = greedy (default: ${DEFAULT-VALUE}).")
    float temperature;

    @Option(names = "--top-p", defaultValue = "0.9", description = "Nucleus sampling threshold, as run.c (default: ${DEFAULT-VALUE}).")
    float topP;

    @Option(names = "--top-k", defaultValue = "0", description = "Keep the k most likely tokens; 0 = off.")
    int topK;

    @Option(names = "--seed", defaultValue = "0", description = "Sampling seed; 0 = from the clock, as run.c.")
    long seed;

    @Option(names = "--warmup-seconds", paramLabel = "SECONDS", defaultValue = "3",
            description = "Before generating, run throw-away steps until the JIT has compiled the kernels, for at most"
                    + " this long, so the tokens/s line measures the model, not the compiler (default ${DEFAULT-VALUE};"
                    + " 0 skips it).")
    double warmupSeconds;

    @CommandLine.Mixin
    ConfigOptions options;

    @Option(names = "--topology-root", paramLabel = "DIR|FILE.tar.gz",
            description = "Plan for a captured machine; threads then run unpinned here (one warning).")
    Path topologyRoot;

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
        NumaTensorParallelConfig tp = options.toConfig();
        int shards = tp.shards();
        Topology topology = TopologySource.detect(topologyRoot, "--topology-root");
        boolean simulated = topologyRoot != null;
        long t0 = System.nanoTime();
        try (ModelTensors tensors = ModelFiles.open(model)) {
            LlamaConfig config = LlamaConfig.of(tensors.hp());
            TextTokenizer tok = ModelFiles.textTokenizer(model, tokenizer, config.vocabSize());
            // A GGUF vocabulary stops where llama.cpp does (EOS, end of turn); a llama2.c one at BOS, as run.c.
            IntPredicate stop = tokenizer == null && ModelFiles.isGguf(model) ? tok::isEndOfGeneration
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
            if (temperature < 0 || Float.isNaN(temperature)) {
                throw new UsageException("--temperature must be >= 0: " + temperature);
            }
            if (!(topP >= 0 && topP <= 1)) {
                throw new UsageException("--top-p must be in [0, 1]: " + topP);
            }
            if (shards > config.heads()) {
                throw new UsageException("--shards must be in [1, " + config.heads() + "] (query heads of the model): " + shards);
            }
            long s = seed != 0 ? seed : System.currentTimeMillis() / 1000;
            try (TpRuntime runtime = TpRuntime.start(tensors, tp, topology, simulated,
                    TpEngine.Capacity.singleSequence(n), line -> {
                        err.println(line);
                        err.flush();
                    })) {
                TpEngine engine = runtime.engine();
                long loadNs = System.nanoTime() - t0;
                EngineWarmUp.Result warm = EngineWarmUp.run(engine, warmupSeconds);
                Utf8Output text = new Utf8Output(out);
                if (promptTokens[0] != tok.bos()) {
                    // No BOS in front (Qwen): the first prompt token is text, and generate() reports only its successors.
                    text.write(tok.decode(-1, promptTokens[0]));
                }
                TpEngine.Stats stats = engine.generate(promptTokens, n,
                        new TpEngine.Sampling(temperature, topP, topK, s),
                        (prev, next) -> text.write(tok.decode(prev, next)), stop);
                text.finish();
                out.println();
                out.flush();
                err.println(String.format(Locale.ROOT,
                        "load %.3f s; warm-up %.1f s; prompt %d tok at %.1f tok/s; decode %d tok at %.1f tok/s; shards %d;"
                                + " collectives %.1f%% of time; %s",
                        loadNs / 1e9, warm.elapsedNs() / 1e9, stats.promptTokens(), stats.promptTokensPerSecond(), stats.decodeTokens(),
                        stats.decodeTokensPerSecond(), shards, 100 * stats.collectiveShare(),
                        engine.placement().summary()));
                err.println(runtime.bindingSummary() + placement(runtime));
                err.flush();
            }
        }
    }

    /** " on node 0 (shards 0-1)" per node used, from the plan. */
    private static String placement(TpRuntime runtime) {
        StringBuilder sb = new StringBuilder(";");
        for (var node : runtime.plan().usedNodes()) {
            sb.append(" node ").append(node.id()).append(": shards ").append(node.shards().toListString()).append(';');
        }
        sb.setLength(sb.length() - 1);
        return sb.toString();
    }
}
