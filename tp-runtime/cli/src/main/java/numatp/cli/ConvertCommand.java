package numatp.cli;

import numatp.models.GgufConverter;
import numatp.models.LlamaConfig;
import numatp.models.ModelException;
import numatp.models.ModelFiles;
import numatp.models.QuantMix;
import numatp.models.SyntheticGguf;
import numatp.models.tokenizer.Tokenizer;
import numatp.weights.ModelTensors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * {@code tp convert}: a llama2.c checkpoint (+ tokenizer.bin) to a GGUF llama file, or
 * ({@code --synthetic SHAPE}) a random-weight GGUF file of a real model's shape.
 */
@Command(name = "convert", description = {"Convert a llama2.c checkpoint and tokenizer to GGUF,",
        "or write a random-weight GGUF file of a real model's shape (--synthetic)."})
final class ConvertCommand implements Runnable {
    @Option(names = "--model", description = "Input model (llama2.c .bin or GGUF).")
    Path model;

    @Option(names = "--tokenizer", description = "llama2.c tokenizer.bin (default: tokenizer.bin next to the model).")
    Path tokenizer;

    @Option(names = "--synthetic", paramLabel = "SHAPE", description = "Instead of --model: random weights in the"
            + " shape llama3-8b (dim 4096, hidden 14336, 32 layers, 32/8 heads, vocab 128256),"
            + " bench-426m (dim 2048, hidden 5632, 8 layers, 32/8 heads, vocab 32000: the llama.cpp side-by-side's) or tiny.")
    String synthetic;

    @Option(names = "--layers", description = "With --synthetic: this many layers instead of the shape's.")
    Integer layers;

    @Option(names = "--seed", defaultValue = "42", description = "With --synthetic: seed of the random weights (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = {"--output", "-o"}, required = true, description = "Output GGUF file.")
    Path output;

    @Option(names = "--type", description = "Matrix encoding: F32, F16, BF16, Q8_0, Q4_0, ... (default F32); with"
            + " --synthetic also Q4_K_M, llama.cpp's mix (the default there). Norms stay F32.")
    String type;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        if ((model == null) == (synthetic == null)) {
            throw new UsageException("give exactly one of --model FILE and --synthetic SHAPE");
        }
        if (synthetic == null && layers != null) {
            throw new UsageException("--layers needs --synthetic");
        }
        QuantMix mix = parseType(type == null ? (synthetic != null ? QuantMix.Q4_K_M.name() : "F32") : type);
        long t0 = System.nanoTime();
        String written;
        if (synthetic != null) {
            written = writeSynthetic(mix);
        } else {
            if (!mix.isUniform()) {
                throw new UsageException("--type " + mix.name() + " is a mix of types, only for --synthetic;"
                        + " converting takes one type (F32, F16, BF16, Q8_0, Q4_0)");
            }
            try (ModelTensors m = ModelFiles.open(model)) {
                Tokenizer tok = ModelFiles.tokenizer(model, tokenizer, m.hp().vocabSize());
                GgufConverter.write(m, tok, mix.base(), output);
            }
            written = mix.name();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        spec.commandLine().getErr().printf(Locale.ROOT, "wrote %s (%s, %s) in %.2f s%n", output, written,
                sizeOf(output), seconds);
    }

    private static QuantMix parseType(String text) {
        try {
            return QuantMix.parse(text, "--type");
        } catch (ModelException e) {
            throw new UsageException(e.getMessage(), e);
        }
    }

    private String writeSynthetic(QuantMix mix) {
        SyntheticGguf.Shape shape;
        try {
            shape = SyntheticGguf.Shape.parse(synthetic, "--synthetic");
        } catch (ModelException e) {
            throw new UsageException(e.getMessage(), e);
        }
        LlamaConfig c = shape.config();
        if (layers != null) {
            if (layers < 1 || layers > 1024) {
                throw new UsageException("--layers must be in [1, 1024]: " + layers);
            }
            c = new LlamaConfig(c.dim(), c.hiddenDim(), layers, c.heads(), c.kvHeads(), c.vocabSize(),
                    c.contextLength(), c.ropeTheta(), c.normEps());
        }
        SyntheticGguf.write(c, mix, seed, output);
        return "synthetic " + shape.label() + ", " + c.layers() + " layers, " + mix.name();
    }

    private static String sizeOf(Path file) {
        try {
            return String.format(Locale.ROOT, "%.2f GiB", Files.size(file) / (double) (1L << 30));
        } catch (IOException e) {
            return "size unknown";
        }
    }
}
