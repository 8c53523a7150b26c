package numatp.cli;

import numatp.models.GgufConverter;
import numatp.models.ModelFiles;
import numatp.models.tokenizer.Tokenizer;
import numatp.weights.ModelTensors;
import numatp.weights.TensorType;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** {@code tp convert}: a llama2.c checkpoint (+ tokenizer.bin) to a GGUF llama file. */
@Command(name = "convert", description = "Convert a llama2.c checkpoint and tokenizer to GGUF.")
final class ConvertCommand implements Runnable {
    @Option(names = "--model", required = true, description = "Input model (llama2.c .bin or GGUF).")
    Path model;

    @Option(names = "--tokenizer", description = "llama2.c tokenizer.bin (default: tokenizer.bin next to the model).")
    Path tokenizer;

    @Option(names = {"--output", "-o"}, required = true, description = "Output GGUF file.")
    Path output;

    @Option(names = "--type", defaultValue = "F32", description = "Matrix encoding: F32, F16, BF16, Q8_0, Q4_0 (default: ${DEFAULT-VALUE}); norms stay F32.")
    TensorType type;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        long t0 = System.nanoTime();
        try (ModelTensors m = ModelFiles.open(model)) {
            Tokenizer tok = ModelFiles.tokenizer(model, tokenizer, m.hp().vocabSize());
            GgufConverter.write(m, tok, type, output);
        }
        spec.commandLine().getErr().printf("wrote %s (%s) in %.2f s%n", output, type, (System.nanoTime() - t0) / 1e9);
    }
}
