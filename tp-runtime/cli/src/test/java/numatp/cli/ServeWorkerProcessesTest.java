package numatp.cli;

import numatp.collectives.process.ProcessLiveness;
import numatp.topology.SharedData;
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
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code tp serve --workers processes}: two worker processes on this one node, their pids in the
 * start-up report, greedy text as the thread layout's; a SIGKILLed worker fails the next request
 * and the server's log names the worker; no worker outlives the server.
 */
@Timeout(180)
class ServeWorkerProcessesTest {
    private static final Pattern URL = Pattern.compile("serving (\\S+) at (http://\\S+)");
    private static final Pattern WORKER = Pattern.compile("^worker (\\d) \\(node 0, shards \\[\\d\\], pid (\\d+)\\)");

    @Test
    void servesThroughTwoWorkersAndAKilledWorkerFailsTheRequestNamingIt() throws Exception {
        Path models = SharedData.require("models");
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), TpMain.class.getName(),
                "serve", "--port", "0", "--max-batch", "2", "--warmup-seconds", "1",
                "--model", models.resolve("stories260K.bin").toString(),
                "--tokenizer", models.resolve("tok512.bin").toString(),
                "--shards", "2", "--workers", "processes", "--workers-per-node", "2", "--collective-timeout-ms", "20000"));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        List<String> lines = Collections.synchronizedList(new ArrayList<>());
        long[] pids = new long[2];
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
             HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            Matcher serving = null;
            String line;
            while (serving == null && (line = out.readLine()) != null) {
                lines.add(line);
                Matcher w = WORKER.matcher(line);
                if (w.find()) {
                    pids[Integer.parseInt(w.group(1))] = Long.parseLong(w.group(2));
                }
                Matcher m = URL.matcher(line);
                if (m.find()) {
                    serving = m;
                }
            }
            assertTrue(serving != null, "no URL line in:\n" + String.join("\n", lines));
            assertTrue(pids[0] > 0 && pids[1] > 0, String.join("\n", lines));
            assertTrue(String.join("\n", lines).contains("workers: 2 processes (pids " + pids[0] + ", " + pids[1] + ")"),
                    String.join("\n", lines));
            String killed = "worker 1 (node 0, shards [1], pid " + pids[1] + ") was killed by signal 9 (SIGKILL)";
            java.util.concurrent.CountDownLatch killedLogged = new java.util.concurrent.CountDownLatch(1);
            Thread.ofPlatform().daemon().start(() -> {
                try {
                    for (String l = out.readLine(); l != null; l = out.readLine()) {
                        lines.add(l);
                        if (l.contains(killed)) {
                            killedLogged.countDown();
                        }
                    }
                } catch (java.io.IOException e) {
                    // the server has exited
                }
            });
            URI base = URI.create(serving.group(2));
            HttpRequest request = HttpRequest.newBuilder(base.resolve("/v1/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString(
                            "{\"prompt\":\"Once upon a time\",\"max_tokens\":20,\"temperature\":0}")).build();
            HttpResponse<String> ok = client.send(request, HttpResponse.BodyHandlers.ofString());
            assertEquals(200, ok.statusCode(), ok.body());
            assertTrue(ok.body().contains(", there was a little girl named Lily."), ok.body());

            ProcessHandle.of(pids[1]).orElseThrow().destroyForcibly();
            long t0 = System.nanoTime();
            HttpResponse<String> failed = client.send(request, HttpResponse.BodyHandlers.ofString());
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertNotEquals(200, failed.statusCode(), failed.body());
            assertTrue(ms < 20_000, "answered after " + ms + " ms");
            killedLogged.await(10, TimeUnit.SECONDS);
            assertTrue(lines.stream().anyMatch(l -> l.contains(killed)), String.join("\n", lines));
            p.toHandle().destroy();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "still running after SIGTERM");
        } finally {
            p.destroyForcibly();
        }
        awaitExit(pids[0], 5);
        assertFalse(ProcessLiveness.running(pids[0]), "worker 0 outlived the server");
    }

    /** Waits on {@code pid}'s exit (ProcessHandle.onExit) for up to {@code seconds}; gone already counts as exited. */
    private static void awaitExit(long pid, long seconds) throws Exception {
        java.util.Optional<ProcessHandle> handle = ProcessHandle.of(pid);
        if (handle.isPresent()) {
            try {
                handle.get().onExit().get(seconds, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                // still running: the caller's assertion says so
            }
        }
    }
}
