package numatp.cli;

import numatp.topology.SharedData;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code tp serve --workers mpi} under mpirun on TCP loopback, each rank its own host (tag mpi,
 * .ci/mpi-tests): rank 0 serves, its greedy completion of stories260K is run.c's text, only rank 0
 * reports, and a SIGTERM to mpirun stops every rank.
 */
@Tag("mpi")
@Timeout(300)
class ServeMpiTest {
    private static final Pattern URL = Pattern.compile("serving \\S+ at (http://\\S+)");

    @Test
    void rankZeroServesTheTwoHostEngine() throws Exception {
        Path models = SharedData.require("models");
        List<String> command = MpiRun.command(2, "rank", "serve", "--model", models.resolve("stories260K.bin").toString(),
                "--tokenizer", models.resolve("tok512.bin").toString(), "--shards", "2", "--workers", "mpi",
                "--pinning", "none", "--port", "0", "--warmup-seconds", "0.5", "--max-batch", "4");
        Process mpirun = MpiRun.start(command, true);
        List<String> lines = new ArrayList<>();
        CompletableFuture<URI> url = new CompletableFuture<>();
        Thread.ofPlatform().daemon().start(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(mpirun.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    synchronized (lines) {
                        lines.add(line);
                    }
                    Matcher m = URL.matcher(line);
                    if (m.find()) {
                        url.complete(URI.create(m.group(1)));
                    }
                }
            } catch (java.io.IOException e) {
                // the job ended
            }
            url.completeExceptionally(new AssertionError("the job ended without serving"));
        });
        try (HttpClient client = HttpClient.newHttpClient()) {
            URI base = url.get(180, TimeUnit.SECONDS);
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(base.resolve("/v1/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString(
                            "{\"prompt\":\"Once upon a time\",\"max_tokens\":20,\"temperature\":0}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            assertTrue(r.body().contains("\"text\":\", there was a little girl named Lily."), r.body());
            HttpResponse<String> health = client.send(HttpRequest.newBuilder(base.resolve("/health")).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, health.statusCode(), health.body());
        } finally {
            mpirun.toHandle().destroy(); // SIGTERM: mpirun passes it on to every rank
            assertTrue(mpirun.waitFor(60, TimeUnit.SECONDS), "the job did not stop after SIGTERM");
        }
        String log;
        synchronized (lines) {
            log = String.join("\n", lines);
        }
        assertEquals(1, lines.stream().filter(l -> l.startsWith("model: ")).count(), "only rank 0 reports:\n" + log);
        assertTrue(log.contains("2 MPI ranks on 2 hosts"), log);
        assertTrue(log.contains("rank 1: world rank 1 of 2"), "rank 1's report is gathered to rank 0:\n" + log);
    }
}
