package numatp.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import numatp.collectives.process.ProcessLiveness;
import numatp.topology.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code tp serve --replicas 2 --shards 1 --workers processes} on stories260K: greedy text as
 * one replica's, a burst of 32 spread over both replicas (their {@code replica} metrics), and
 * a SIGKILLed worker of one replica ({@code --worker-restarts 0}: no restart) leaves the other
 * answering every request while /health names the failed replica; no worker outlives the server.
 */
@Timeout(240)
class ServeReplicasTest {
    private static final Pattern URL = Pattern.compile("serving (\\S+) at (http://\\S+)");
    private static final Pattern REPLICA = Pattern.compile("^== replica (\\d) of 2$");
    private static final Pattern WORKER = Pattern.compile("^worker 0 \\(node \\d+, shards \\[0\\], pid (\\d+)\\)");
    private static final ObjectMapper JSON = new ObjectMapper();
    /** What one replica (and run.c) says greedily after "Once upon a time" (ServeWorkerProcessesTest too). */
    private static final String GREEDY = ", there was a little girl named Lily.";

    @Test
    void twoReplicasSpreadABurstAndOneKilledWorkerLeavesTheOtherAnswering() throws Exception {
        Path models = SharedData.require("models");
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), TpMain.class.getName(),
                "serve", "--port", "0", "--max-batch", "8", "--warmup-seconds", "1",
                "--model", models.resolve("stories260K.bin").toString(),
                "--tokenizer", models.resolve("tok512.bin").toString(),
                "--replicas", "2", "--shards", "1", "--workers", "processes", "--collective-timeout-ms", "20000",
                "--worker-restarts", "0")); // a lost worker fails its replica for good: the other serves on
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        List<String> lines = Collections.synchronizedList(new ArrayList<>());
        long[] pids = new long[2];
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
             HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            URI base = awaitServing(out, lines, pids);
            String startUp = String.join("\n", lines);
            assertTrue(startUp.contains("layout: 2 replicas x 1 shard"), startUp);
            HttpRequest request = HttpRequest.newBuilder(base.resolve("/v1/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString(
                            "{\"prompt\":\"Once upon a time\",\"max_tokens\":20,\"temperature\":0}")).build();
            String reference = text(client.send(request, HttpResponse.BodyHandlers.ofString()));
            assertTrue(reference.startsWith(GREEDY), reference);

            List<CompletableFuture<HttpResponse<String>>> burst = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                burst.add(client.sendAsync(request, HttpResponse.BodyHandlers.ofString()));
            }
            for (CompletableFuture<HttpResponse<String>> r : burst) {
                assertEquals(reference, text(r.get(60, TimeUnit.SECONDS))); // both replicas: the same text
            }
            String metrics = get(client, base, "/metrics").body();
            double r0 = sample(metrics, "numatp_replica_requests_total{replica=\"0\"}");
            double r1 = sample(metrics, "numatp_replica_requests_total{replica=\"1\"}");
            assertEquals(33, r0 + r1, metrics);
            assertTrue(r0 >= 1 && r1 >= 1, "burst not spread: replica 0 " + r0 + ", replica 1 " + r1);

            ProcessHandle.of(pids[0]).orElseThrow().destroyForcibly(); // replica 0 gets the next request (a tie)
            awaitExit(pids[0], 10);
            for (int i = 0; i < 4; i++) {
                assertEquals(reference, text(client.send(request, HttpResponse.BodyHandlers.ofString())));
            }
            // Replica 0's requests ran on replica 1 as soon as it was lost; its scheduler marks it failed right after.
            HttpResponse<String> h = get(client, base, "/health");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!h.body().contains("\"error_id\"") && System.nanoTime() < deadline) {
                h = get(client, base, "/health");
            }
            assertEquals(200, h.statusCode(), h.body());
            JsonNode health = JSON.readTree(h.body());
            assertEquals("degraded", health.path("status").asText(), h.body());
            assertEquals("failed", health.path("replicas").get(0).path("status").asText(), h.body());
            assertEquals("ok", health.path("replicas").get(1).path("status").asText(), h.body());
            String errorId = health.path("replicas").get(0).path("error_id").asText();
            synchronized (lines) {
                assertTrue(lines.stream().anyMatch(l -> l.contains("error id " + errorId + ", replica 0")
                        && l.contains("pid " + pids[0] + ")") && l.contains("killed by signal 9")),
                        String.join("\n", lines));
            }

            p.toHandle().destroy();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "still running after SIGTERM");
            assertEquals(0, p.exitValue(), String.join("\n", lines));
        } finally {
            p.destroyForcibly();
        }
        awaitExit(pids[1], 5);
        assertFalse(ProcessLiveness.running(pids[1]), "replica 1's worker outlived the server");
    }

    @Test
    void aReplicaThatRestartsItsWorkerGetsNoRequestsUntilItIsBack() throws Exception {
        Path models = SharedData.require("models");
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), TpMain.class.getName(),
                "serve", "--port", "0", "--max-batch", "4", "--warmup-seconds", "1",
                "--model", models.resolve("stories260K.bin").toString(),
                "--tokenizer", models.resolve("tok512.bin").toString(),
                "--replicas", "2", "--shards", "1", "--workers", "processes", "--collective-timeout-ms", "20000"));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        List<String> lines = Collections.synchronizedList(new ArrayList<>());
        long[] pids = new long[2];
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
             HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            URI base = awaitServing(out, lines, pids);
            HttpRequest request = HttpRequest.newBuilder(base.resolve("/v1/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString(
                            "{\"prompt\":\"Once upon a time\",\"max_tokens\":20,\"temperature\":0}")).build();
            String reference = text(client.send(request, HttpResponse.BodyHandlers.ofString()));

            ProcessHandle.of(pids[0]).orElseThrow().destroyForcibly();
            awaitExit(pids[0], 10);
            // Until replica 0 is back, every request is answered (by replica 1, or by replica 0 once restarted).
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            JsonNode health;
            int answered = 0;
            do {
                assertEquals(reference, text(client.send(request, HttpResponse.BodyHandlers.ofString())));
                answered++;
                health = JSON.readTree(get(client, base, "/health").body());
                assertTrue(System.nanoTime() < deadline, "replica 0 not back within 90 s: " + health);
            } while (!health.path("replicas").get(0).path("status").asText().equals("ok"));
            assertEquals("ok", health.path("status").asText(), health.toString());
            assertEquals(1, health.path("replicas").get(0).path("engine").path("restarts").asInt(), health.toString());
            assertTrue(answered >= 1, health.toString());
            p.toHandle().destroy();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "still running after SIGTERM");
            assertEquals(0, p.exitValue(), String.join("\n", lines));
        } finally {
            p.destroyForcibly();
        }
    }

    /** Reads the start-up report up to the URL line; fills {@code pids} with each replica's worker pid. */
    private static URI awaitServing(BufferedReader out, List<String> lines, long[] pids) throws IOException {
        int replica = -1;
        String line;
        while ((line = out.readLine()) != null) {
            lines.add(line);
            Matcher r = REPLICA.matcher(line);
            if (r.find()) {
                replica = Integer.parseInt(r.group(1));
            }
            Matcher w = WORKER.matcher(line);
            if (w.find() && replica >= 0) {
                pids[replica] = Long.parseLong(w.group(1));
            }
            Matcher m = URL.matcher(line);
            if (m.find()) {
                assertTrue(pids[0] > 0 && pids[1] > 0 && pids[0] != pids[1], String.join("\n", lines));
                Thread.ofPlatform().daemon().start(() -> {
                    try {
                        for (String l = out.readLine(); l != null; l = out.readLine()) {
                            lines.add(l);
                        }
                    } catch (IOException e) {
                        // the server has exited
                    }
                });
                return URI.create(m.group(2));
            }
        }
        throw new AssertionError("no URL line in:\n" + String.join("\n", lines));
    }

    private static String text(HttpResponse<String> r) throws IOException {
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body()).path("choices").get(0).path("text").asText();
    }

    private static HttpResponse<String> get(HttpClient client, URI base, String path) throws Exception {
        return client.send(HttpRequest.newBuilder(base.resolve(path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static double sample(String exposition, String name) {
        for (String line : exposition.split("\n")) {
            if (line.startsWith(name + " ")) {
                return Double.parseDouble(line.substring(name.length() + 1).trim());
            }
        }
        throw new AssertionError("no " + name + " in\n" + exposition);
    }

    /** Waits on {@code pid}'s exit (ProcessHandle.onExit) for up to {@code seconds}; gone already counts as exited. */
    private static void awaitExit(long pid, long seconds) throws Exception {
        Optional<ProcessHandle> handle = ProcessHandle.of(pid);
        if (handle.isPresent()) {
            try {
                handle.get().onExit().get(seconds, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                // still running: the caller's assertion says so
            }
        }
    }
}
