package numatp.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import numatp.cli.bench.serve.FakeOpenAiServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(60)
class BenchServeCommandTest {
    @TempDir
    Path dir;

    private FakeOpenAiServer server;
    private StringWriter out = new StringWriter();
    private StringWriter err = new StringWriter();

    @BeforeEach
    void start() throws IOException {
        server = new FakeOpenAiServer();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private int tp(String... args) {
        out = new StringWriter();
        err = new StringWriter();
        return TpMain.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
    }

    private String url() {
        return server.url().toString();
    }

    @Test
    void printsTheTableWritesJsonAndComparesWithABaseline() throws Exception {
        Path baseline = dir.resolve("runs/unpinned.json");
        assertEquals(0, tp("bench", "serve", "--url", url() + "/v1", "--requests", "6", "--concurrency", "2",
                "--prompt-tokens", "16", "--max-tokens", "8", "--label", "unpinned", "--output-file",
                baseline.toString()), err.toString());
        String table = out.toString();
        for (String expected : new String[] {"requests                 6 ok, 0 failed (HTTP 429: 0)", "requests/s",
                "output tokens/s", "total tokens/s", "avg ms", "p50 ms", "p95 ms", "p99 ms", "request latency",
                "time to first token", "inter-token latency", "time per output token", "ITL fluctuation: max-min",
                "bar", "wrote " + baseline}) {
            assertTrue(table.contains(expected), expected + " in\n" + table);
        }
        JsonNode doc = new ObjectMapper().readTree(baseline.toFile());
        assertEquals("numatp.bench.serve/1", doc.get("schema").asText());
        assertEquals("unpinned", doc.get("label").asText());
        assertEquals(url(), doc.at("/server/url").asText());
        assertEquals("fake-model", doc.at("/server/model").asText());
        assertEquals(2, doc.at("/config/concurrency").asInt());
        assertTrue(doc.at("/client/cpus").asInt() > 0, doc.toString());
        assertEquals(6, doc.at("/metrics/requestsOk").asInt());
        for (String key : new String[] {"requestsPerS", "outputTokensPerS", "totalTokensPerS", "latencyP99Ms",
                "ttftP50Ms", "ttftP95Ms", "itlP50Ms", "itlMaxMinusMinMs", "itlStddevMs", "tpotAvgMs"}) {
            assertTrue(doc.at("/metrics/" + key).isNumber() && doc.at("/metrics/" + key).asDouble() > 0, key);
        }
        assertTrue(doc.at("/metrics/itlStddevWithin1Ms").isBoolean());

        assertEquals(0, tp("bench", "serve", "--url", url(), "--requests", "4", "--concurrency", "2",
                "--prompt-tokens", "16", "--max-tokens", "8", "--label", "pinned", "--compare", baseline.toString()),
                err.toString());
        String compared = out.toString();
        assertTrue(compared.contains("compare: unpinned (" + baseline), compared);
        assertTrue(compared.contains("note: the workloads differ: requests 6 vs 4"), compared);
        assertTrue(compared.matches("(?s).*\\nTTFT p50 ms +[0-9.]+ +[0-9.]+ +[-+][0-9.]+ % +(pinned|unpinned|same)\\n.*"),
                compared);
    }

    @Test
    void badFlagsAreOneLineUsageErrors() throws IOException {
        String[][] cases = {
                {"--requests", "0"}, {"--requests must be >= 1: 0"},
                {"--concurrency", "8", "--requests", "4"}, {"--concurrency 8 is more than --requests 4"},
                {"--endpoint", "embeddings"}, {"--endpoint must be completions or chat: embeddings"},
                {"--url", "ftp://example.com"}, {"--url must start with http:// or https://: ftp://example.com"},
                {"--url", "http://127.0.0.1:8080/v1/completions"}, {"--url must be the server's root"},
                {"--stream", "maybe"}, {"--stream must be true or false: maybe"},
                {"--requests", "many"}, {"'many' is not an int"},
                {"--request-timeout", "0"}, {"--request-timeout must be in (0, 86400] seconds: 0.0"},
                {"--compare", dir.resolve("nope.json").toString()}, {"--compare file does not exist: "},
                {"--output-file", dir.toString()}, {"--output-file is a directory: "},
        };
        for (int i = 0; i < cases.length; i += 2) {
            boolean hasUrl = cases[i][0].equals("--url");
            String[] args = new String[cases[i].length + (hasUrl ? 2 : 4)];
            args[0] = "bench";
            args[1] = "serve";
            if (!hasUrl) {
                args[2] = "--url";
                args[3] = url();
            }
            System.arraycopy(cases[i], 0, args, hasUrl ? 2 : 4, cases[i].length);
            assertEquals(2, tp(args), String.join(" ", cases[i]) + ": " + err);
            assertTrue(err.toString().startsWith("error: ") && err.toString().contains(cases[i + 1][0]),
                    String.join(" ", cases[i]) + ": " + err);
            assertFalse(err.toString().contains("\tat "), "no stack trace: " + err);
        }
        assertEquals(0, server.completionRequests.get(), "nothing is sent when the flags are wrong");
        Path notResult = Files.writeString(dir.resolve("allreduce.json"), "{\"results\": []}");
        assertEquals(2, tp("bench", "serve", "--url", url(), "--compare", notResult.toString()));
        assertTrue(err.toString().contains("--compare file is not a tp bench serve result"), err.toString());
    }

    @Test
    void anUnreachableServerIsARuntimeErrorWithoutATrace() throws IOException {
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        assertEquals(1, tp("bench", "serve", "--url", "http://127.0.0.1:" + port));
        assertEquals("error: cannot reach the server at http://127.0.0.1:" + port + " (--url): connection refused; "
                + "is tp serve running there?", err.toString().strip());
    }

    @Test
    void aRunWhereEveryRequestFailsExitsOneAfterTheTable() {
        server.rateLimited = n -> true;
        assertEquals(1, tp("bench", "serve", "--url", url(), "--requests", "3", "--concurrency", "1", "--warmup", "0"));
        assertTrue(out.toString().contains("0 ok, 3 failed (HTTP 429: 3)"), out.toString());
        assertTrue(err.toString().contains("error: all 3 requests failed: HTTP 429 x3 (first: queue full)"),
                err.toString());
    }

    @Test
    void helpListsServeUnderBench() {
        assertEquals(0, tp("bench", "help", "serve"));
        assertTrue(out.toString().contains("--concurrency"), out.toString());
        assertEquals(0, tp("bench"));
        assertTrue(out.toString().contains("serve"), out.toString());
    }
}
