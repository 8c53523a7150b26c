package numatp.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** The {@code --output-file} document of the {@code tp bench} commands: {@code {"machine", "config", "results"}}. */
final class BenchJson {
    private BenchJson() {
    }

    /** Writes the document (indented), creating missing parent folders; a failure is a usage error naming the file. */
    static void write(Path outputFile, Map<String, Object> machine, Map<String, Object> config, Object results) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("machine", machine);
        doc.put("config", config);
        doc.put("results", results);
        try {
            Path parent = outputFile.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(outputFile.toFile(), doc);
        } catch (IOException e) {
            throw new UsageException("--output-file cannot be written: " + outputFile + ": " + e.getMessage(), e);
        }
    }
}
