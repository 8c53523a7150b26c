package numatp.cli.bench.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import numatp.runtime.config.ConfigException;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON document of one run ({@code --output-file}), which a later run reads back
 * as its {@code --compare} baseline. Field names are stable; {@code schema} names the
 * layout and changes only when a field changes meaning.
 *
 * @param schema    {@value #SCHEMA}
 * @param label     {@code --label}, or null
 * @param startedAt ISO-8601 instant the measured requests began
 * @param server    where the requests went
 * @param config    the workload
 * @param client    the machine the benchmark ran on (usually the server's own, for {@code 127.0.0.1})
 * @param metrics   {@link Metric} keys to values (null when not measured), then the fluctuation verdicts
 * @param errors    failed requests per error class
 */
public record ServeBenchReport(String schema, String label, String startedAt, Server server, Workload config,
                               Map<String, Object> client, Map<String, Object> metrics,
                               Map<String, Integer> errors) {
    public static final String SCHEMA = "numatp.bench.serve/1";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * @param url                the server's root URL
     * @param endpoint           {@code completions} or {@code chat}
     * @param replicas           replicas of a {@code tp serve}, null when the server does not say
     * @param requestsPerReplica measured requests each replica got, null when the server does not say
     */
    public record Server(String url, String model, String endpoint, Integer replicas, List<Long> requestsPerReplica) {
    }

    /**
     * @param promptWords words per prompt sent, after calibrating against the server's token count
     * @param streamUsage streamed requests asked for {@code stream_options.include_usage}
     */
    public record Workload(int requests, int concurrency, int promptTokens, int promptWords, int maxTokens,
                           boolean stream, boolean streamUsage, long seed, int warmup, double temperature,
                           long requestTimeoutMs) {
    }

    public static ServeBenchReport of(ServeBenchRun run, ServeBenchSummary summary) {
        ServeBenchConfig c = run.config();
        return new ServeBenchReport(SCHEMA, c.label(), run.startedAt().toString(),
                new Server(c.baseUrl().toString(), run.model(), c.endpoint().flagName(),
                        run.replicas().known() ? run.replicas().replicas() : null,
                        run.replicas().known() ? run.replicas().requests() : null),
                new Workload(c.requests(), c.concurrency(), c.promptTokens(), run.promptWords(), c.maxTokens(),
                        c.stream(), run.usageAsked(), c.seed(), c.warmup(), c.temperature(), c.requestTimeoutMs()),
                machine(), Metric.toJson(summary), summary.errors());
    }

    /** Cheap facts about this machine: CPUs, OS, JVM, host name, load average. */
    static Map<String, Object> machine() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("hostname", hostname());
        m.put("cpus", Runtime.getRuntime().availableProcessors());
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        m.put("arch", System.getProperty("os.arch"));
        m.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        m.put("loadAverage1m", load < 0 ? null : load);
        return m;
    }

    private static String hostname() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
        } catch (IOException | RuntimeException e) {
            String env = System.getenv("HOSTNAME");
            return env == null ? null : env;
        }
    }

    /** The document as indented JSON. */
    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a report of records and maps always serialises", e);
        }
    }

    /** The document as a tree, the form {@link Comparison} reads. */
    public JsonNode toTree() {
        return JSON.valueToTree(this);
    }

    /** Writes the document to {@code file}, creating its folder. */
    public void write(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(file, toJson() + System.lineSeparator());
    }

    /**
     * Reads a baseline written by {@link #write}; the message of a failure names {@code flag},
     * the file and what is wrong with it.
     */
    public static JsonNode readBaseline(Path file, String flag) {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException(flag + " file does not exist: " + file);
        } catch (IOException | RuntimeException e) {
            throw new ConfigException(flag + " file cannot be read: " + file + ": " + e.getMessage());
        }
        JsonNode doc;
        try {
            doc = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? ""
                    : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
            throw new ConfigException(flag + " file is not JSON: " + file + ": "
                    + ResponseRecorder.shorten(e.getOriginalMessage()) + where);
        }
        if (doc == null || !doc.isObject() || !doc.path("schema").asText("").startsWith("numatp.bench.serve/")) {
            throw new ConfigException(flag + " file is not a tp bench serve result (no \"schema\": \"" + SCHEMA
                    + "\"): " + file);
        }
        if (!doc.path("metrics").isObject()) {
            throw new ConfigException(flag + " file has no \"metrics\" object: " + file);
        }
        return doc;
    }
}
