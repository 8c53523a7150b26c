package numatp.cli.bench.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import numatp.runtime.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ComparisonTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private static JsonNode doc(String label, int concurrency, String metrics) throws Exception {
        return JSON.readTree("{\"schema\":\"numatp.bench.serve/1\",\"label\":" + (label == null ? "null" : "\"" + label + "\"")
                + ",\"server\":{\"url\":\"http://h:1\",\"model\":\"m\",\"endpoint\":\"completions\"},"
                + "\"config\":{\"requests\":50,\"concurrency\":" + concurrency + ",\"promptTokens\":128},"
                + "\"metrics\":{" + metrics + "}}");
    }

    @Test
    void changeIsInPercentOfTheBaselineAndBetterFollowsTheMetricsDirection() throws Exception {
        JsonNode base = doc("unpinned", 4, "\"requestsPerS\":4.0,\"ttftP50Ms\":100.0,\"itlStddevMs\":2.0,"
                + "\"requestsFailed\":0,\"durationS\":10.0,\"latencyP99Ms\":50.0,\"tpotAvgMs\":null");
        JsonNode current = doc("pinned", 4, "\"requestsPerS\":5.0,\"ttftP50Ms\":80.0,\"itlStddevMs\":2.5,"
                + "\"requestsFailed\":2,\"durationS\":8.0,\"latencyP99Ms\":50.0,\"itlP50Ms\":9.0");
        Map<Metric, Comparison.Row> rows = Comparison.rows(base, current).stream()
                .collect(Collectors.toMap(Comparison.Row::metric, r -> r));
        assertEquals(25.0, rows.get(Metric.REQUESTS_PER_S).changePercent(), 1e-9);
        assertEquals("current", rows.get(Metric.REQUESTS_PER_S).better());
        assertEquals(-20.0, rows.get(Metric.TTFT_P50_MS).changePercent(), 1e-9);
        assertEquals("current", rows.get(Metric.TTFT_P50_MS).better());
        assertEquals(25.0, rows.get(Metric.ITL_STDDEV_MS).changePercent(), 1e-9);
        assertEquals("baseline", rows.get(Metric.ITL_STDDEV_MS).better());
        assertTrue(Double.isNaN(rows.get(Metric.REQUESTS_FAILED).changePercent()), "from 0 has no percent");
        assertEquals("baseline", rows.get(Metric.REQUESTS_FAILED).better());
        assertNull(rows.get(Metric.DURATION_S).better(), "duration is neither better nor worse");
        assertEquals("same", rows.get(Metric.LATENCY_P99_MS).better());
        assertEquals(0.0, rows.get(Metric.LATENCY_P99_MS).changePercent());
        assertTrue(Double.isNaN(rows.get(Metric.ITL_P50_MS).baseline()), "absent in the baseline");
        assertNull(rows.get(Metric.ITL_P50_MS).better());
        assertTrue(!rows.containsKey(Metric.TPOT_AVG_MS), "null on one side and absent on the other: no row");
    }

    @Test
    void printsBothLabelsAndNotesADifferentWorkload() throws Exception {
        JsonNode base = doc("1 node", 1, "\"requestsPerS\":4.0");
        JsonNode current = doc("2 nodes", 4, "\"requestsPerS\":6.0");
        assertEquals(List.of("concurrency 1 vs 4"), Comparison.workloadDifferences(base, current));
        StringWriter text = new StringWriter();
        Comparison.print(base, "base.json", current, new PrintWriter(text));
        String out = text.toString();
        assertTrue(out.contains("compare: 1 node (base.json"), out);
        assertTrue(out.contains("note: the workloads differ: concurrency 1 vs 4"), out);
        assertTrue(out.matches("(?s).*requests/s\\s+4\\s+6\\s+\\+50\\.0 %\\s+2 nodes.*"), out);
    }

    @Test
    void unusableBaselineFilesNameTheFlagAndTheFile() throws Exception {
        Path missing = dir.resolve("missing.json");
        assertEquals("--compare file does not exist: " + missing,
                assertThrows(ConfigException.class, () -> ServeBenchReport.readBaseline(missing, "--compare")).getMessage());
        Path broken = Files.writeString(dir.resolve("broken.json"), "{\"schema\": \"numatp.bench.serve/1\",\n  oops");
        String message = assertThrows(ConfigException.class,
                () -> ServeBenchReport.readBaseline(broken, "--compare")).getMessage();
        assertTrue(message.startsWith("--compare file is not JSON: " + broken + ": ") && message.contains("line 2"),
                message);
        Path other = Files.writeString(dir.resolve("other.json"), "{\"results\": []}");
        assertTrue(assertThrows(ConfigException.class, () -> ServeBenchReport.readBaseline(other, "--compare"))
                .getMessage().startsWith("--compare file is not a tp bench serve result"));
        Path folder = Files.createDirectory(dir.resolve("folder.json"));
        assertTrue(assertThrows(ConfigException.class, () -> ServeBenchReport.readBaseline(folder, "--compare"))
                .getMessage().startsWith("--compare file cannot be read: " + folder));
    }
}
