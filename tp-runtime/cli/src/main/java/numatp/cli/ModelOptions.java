package numatp.cli;

import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * {@code --model} and {@code --tokenizer} (a picocli mixin) of the commands that load a model:
 * {@code tp generate}, {@code tp serve}, {@code tp bench generate}. Whether {@code --model} is
 * required is the command's choice ({@link RequiredOptions}).
 */
final class ModelOptions {
    @Option(names = "--model", paramLabel = "FILE",
            description = "Model file: llama2.c .bin or GGUF (tp serve without it serves a built-in random model;"
                    + " tp bench generate takes --synthetic instead).")
    Path model;

    @Option(names = "--tokenizer", paramLabel = "FILE",
            description = "llama2.c tokenizer.bin (default: the GGUF vocabulary, or tokenizer.bin next to the model;"
                    + " tp bench generate feeds token ids and does not use it).")
    Path tokenizer;
}
