package numatp.cli;

import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** {@code --output-file} (a picocli mixin) of the benchmarks: where their results go as JSON. */
final class OutputFileOptions {
    static final String FLAG = "--output-file";

    @Option(names = FLAG, paramLabel = "FILE.json",
            description = "Also write the machine, the configuration and the results as JSON here.")
    Path file;

    /** Fails before a run, not after minutes of it, when the file cannot be written; no-op without the flag. */
    void checkWritable() {
        if (file == null) {
            return;
        }
        if (Files.isDirectory(file)) {
            throw new UsageException(FLAG + " is a directory: " + file);
        }
        Path parent = file.toAbsolutePath().getParent();
        try {
            if (parent != null) {
                Files.createDirectories(parent);
            }
        } catch (IOException e) {
            throw new UsageException(FLAG + " cannot be written: " + file + ": cannot create " + parent + " ("
                    + e.getMessage() + ")");
        }
        if (parent != null && !Files.isWritable(parent) || Files.exists(file) && !Files.isWritable(file)) {
            throw new UsageException(FLAG + " cannot be written: " + file + " (permission denied)");
        }
    }
}
