package numatp.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import numatp.server.ServeConfig;
import numatp.server.ServeFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code tp bench serve} against a server of two replicas records the layout: the replica count
 * and how many measured requests each replica got (table, JSON, and the comparison's header).
 */
@Timeout(120)
class BenchServeReplicasTest {
    @TempDir
    Path dir;

    @Test
    void recordsTheReplicasAndTheirShareOfTheMeasuredRequests() throws Exception {
        try (ServeFixture serve = ServeFixture.storiesReplicas(2, 1, 4, false,
                ServeConfig.defaults(ServeFixture.MODEL_ID, 0))) {
            String url = serve.server.url().toString();
            Path first = dir.resolve("a.json");
            Result a = bench(url, "a", "--output-file", first.toString());
            assertEquals(0, a.code(), a.err());
            JsonNode doc = new ObjectMapper().readTree(first.toFile());
            assertEquals(2, doc.at("/server/replicas").asInt(), doc.toString());
            JsonNode counts = doc.at("/server/requestsPerReplica");
            assertEquals(12, counts.get(0).asLong() + counts.get(1).asLong(), doc.toString()); // warm-up not counted
            assertTrue(counts.get(0).asLong() > 0 && counts.get(1).asLong() > 0, doc.toString()); // 4 at once
            assertTrue(a.out().contains("server: 2 replicas, requests " + counts.get(0).asLong() + " / "
                    + counts.get(1).asLong()), a.out());

            Result b = bench(url, "b", "--compare", first.toString());
            assertEquals(0, b.code(), b.err());
            assertTrue(b.out().contains("server: a: 2 replicas, requests " + counts.get(0).asLong() + " / "
                    + counts.get(1).asLong() + "; b: 2 replicas, requests "), b.out());
        }
    }

    private record Result(int code, String out, String err) {
    }

    private static Result bench(String url, String label, String... more) {
        String[] base = {"bench", "serve", "--url", url, "--requests", "12", "--concurrency", "4",
                "--prompt-tokens", "8", "--max-tokens", "16", "--warmup", "2", "--label", label};
        String[] args = new String[base.length + more.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(more, 0, args, base.length, more.length);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = TpMain.execute(args, new PrintWriter(out), new PrintWriter(err));
        return new Result(code, out.toString(), err.toString());
    }
}
