package numatp.cli.bench.serve;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * {@code --compare}: a baseline run against this one, metric by metric, with the
 * change in percent of the baseline and which run is better (lower latency,
 * higher throughput, fewer failures). Both sides are {@link ServeBenchReport}
 * documents, so a baseline from an older build compares as long as its keys match;
 * a metric either side lacks shows as {@code -}.
 */
public final class Comparison {
    /** Workload fields that make two runs measure different things when they differ. */
    private static final String[][] WORKLOAD = {
            {"/server/endpoint", "endpoint"}, {"/server/model", "model"}, {"/config/requests", "requests"},
            {"/config/concurrency", "concurrency"}, {"/config/promptTokens", "prompt tokens"},
            {"/config/maxTokens", "max tokens"}, {"/config/stream", "stream"}, {"/config/temperature", "temperature"},
    };

    private Comparison() {
    }

    /**
     * One metric of the comparison.
     *
     * @param baseline       baseline value, NaN when absent
     * @param current        this run's value, NaN when absent
     * @param changePercent  {@code (current - baseline) / |baseline| * 100}; NaN when either is absent or the baseline is 0
     * @param better         {@code baseline}, {@code current}, {@code same}, or null when neither direction is better
     */
    public record Row(Metric metric, double baseline, double current, double changePercent, String better) {
    }

    public static List<Row> rows(JsonNode baseline, JsonNode current) {
        List<Row> rows = new ArrayList<>();
        for (Metric m : Metric.values()) {
            double b = value(baseline, m);
            double c = value(current, m);
            if (Double.isNaN(b) && Double.isNaN(c)) {
                continue;
            }
            double change = Double.isNaN(b) || Double.isNaN(c) ? Double.NaN
                    : b == 0 ? (c == 0 ? 0 : Double.NaN) : (c - b) / Math.abs(b) * 100;
            String better = null;
            if (m.better() != Metric.Better.NEITHER && !Double.isNaN(b) && !Double.isNaN(c)) {
                better = b == c ? "same" : (c > b) == (m.better() == Metric.Better.HIGHER) ? "current" : "baseline";
            }
            rows.add(new Row(m, b, c, change, better));
        }
        return rows;
    }

    /** Workload fields that differ, as {@code concurrency 1 vs 4}. */
    public static List<String> workloadDifferences(JsonNode baseline, JsonNode current) {
        List<String> differences = new ArrayList<>();
        for (String[] field : WORKLOAD) {
            JsonNode b = baseline.at(field[0]);
            JsonNode c = current.at(field[0]);
            if (!b.isMissingNode() && !Objects.equals(b, c)) {
                differences.add(field[1] + " " + b.asText() + " vs " + c.asText());
            }
        }
        return differences;
    }

    public static void print(JsonNode baseline, String baselineFile, JsonNode current, PrintWriter out) {
        String baseName = name(baseline, "baseline");
        String currentName = name(current, "this run");
        if (baseName.equals(currentName)) {
            baseName = "baseline";
            currentName = "this run";
        }
        out.printf(Locale.ROOT, "compare: %s (%s, %s, %s) vs %s%n", baseName, baselineFile,
                baseline.at("/startedAt").asText("?"), baseline.at("/server/url").asText("?"), currentName);
        String baseLayout = layout(baseline);
        String currentLayout = layout(current);
        if (baseLayout != null || currentLayout != null) {
            out.printf(Locale.ROOT, "server: %s: %s; %s: %s%n", baseName, baseLayout == null ? "?" : baseLayout,
                    currentName, currentLayout == null ? "?" : currentLayout);
        }
        List<String> differences = workloadDifferences(baseline, current);
        if (!differences.isEmpty()) {
            out.println("note: the workloads differ: " + String.join(", ", differences));
        }
        int width = Math.max(14, Math.max(baseName.length(), currentName.length()));
        out.printf(Locale.ROOT, "%-24s %" + width + "s %" + width + "s %10s  %s%n", "metric", baseName, currentName,
                "change", "better");
        for (Row r : rows(baseline, current)) {
            String better = r.better() == null ? "" : switch (r.better()) {
                case "current" -> currentName;
                case "baseline" -> baseName;
                default -> r.better();
            };
            out.printf(Locale.ROOT, "%-24s %" + width + "s %" + width + "s %10s  %s%n", r.metric().label(),
                    format(r.baseline()), format(r.current()),
                    Double.isNaN(r.changePercent()) ? "-" : String.format(Locale.ROOT, "%+.1f %%", r.changePercent()),
                    better);
        }
        out.flush();
    }

    /** {@code 2 replicas, requests 26 / 24} from a report's server section, or null when it has none. */
    private static String layout(JsonNode doc) {
        JsonNode counts = doc.at("/server/requestsPerReplica");
        if (!counts.isArray() || counts.isEmpty()) {
            return null;
        }
        List<Long> requests = new ArrayList<>();
        counts.forEach(n -> requests.add(n.asLong()));
        return new ReplicaSpread(requests).describe();
    }

    private static String name(JsonNode doc, String fallback) {
        JsonNode label = doc.get("label");
        return label != null && label.isTextual() && !label.asText().isBlank() ? label.asText() : fallback;
    }

    private static double value(JsonNode doc, Metric m) {
        JsonNode v = doc.path("metrics").get(m.key());
        return v != null && v.isNumber() ? v.asDouble() : Double.NaN;
    }

    private static String format(double v) {
        if (Double.isNaN(v)) {
            return "-";
        }
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? String.valueOf((long) v)
                : String.format(Locale.ROOT, "%.3f", v);
    }
}
