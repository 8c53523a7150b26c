package numatp.cli;

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
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code tp serve --workers processes}: two worker processes on this one node, their pids in the
 * start-up report, greedy text as the thread layout's. A worker SIGKILLed mid-stream ends the
 * stream with an error event naming it; the server stays up, {@code /health} says degraded
 * (503, restarting, naming the worker) while the engine restarts its workers, then ok, and the
 * next request gets the same greedy text. With no restart allowed the server exits 1 naming the
 * worker. No worker outlives the server.
 */
@Timeout(240)
class ServeWorkerProcessesTest {
    private static final Pattern URL = Pattern.compile("serving (\\S+) at (http://\\S+)");
    private static final Pattern WORKER = Pattern.compile("^worker (\\d) \\(node 0, shards \\[\\d\\], pid (\\d+)\\)");
    private static final Pattern RESTARTED = Pattern.compile("engine: worker processes restarted \\(pids (\\d+), (\\d+)\\)");
    private static final String GREEDY = "{\"prompt\":\"Once upon a time\",\"max_tokens\":20,\"temperature\":0}";
    private static final String LONG_STREAM = "{\"prompt\":\"Once upon a time\",\"max_tokens\":400,\"temperature\":0,"
            + "\"stream\":true}";
    private static final long WAIT_NS = 120_000_000_000L;

    @Test
    void aWorkerKilledMidStreamFailsTheStreamAndTheServerRestartsItsWorkers() throws Exception {
        try (Server server = Server.start("--worker-restarts", "5")) {
            String log = String.join("\n", server.lines);
            assertTrue(log.contains("workers: 2 processes (pids " + server.pids[0] + ", " + server.pids[1] + ")"), log);
            HttpResponse<String> ok = server.post(GREEDY);
            assertEquals(200, ok.statusCode(), ok.body());
            String reference = text(ok.body());
            assertTrue(reference.startsWith(", there was a little girl named Lily."), ok.body());

            // Mid-stream: once the first text arrived, worker 0 is stopped (so the stream cannot run to its
            // end) and worker 1 killed. Should the whole stream win that race, the engine still restarts:
            // try again with the new workers.
            String killed = null;
            List<String> events = List.of();
            long killNs = 0;
            long errorNs = 0;
            long pids1 = 0;
            for (int attempt = 0; attempt < 3 && killed == null; attempt++) {
                long[] pids = server.pids();
                pids1 = pids[1];
                HttpResponse<java.util.stream.Stream<String>> stream = server.client.send(server.request(LONG_STREAM),
                        HttpResponse.BodyHandlers.ofLines());
                assertEquals(200, stream.statusCode());
                events = new ArrayList<>();
                Iterator<String> lines = stream.body().iterator();
                while (lines.hasNext()) {
                    String line = lines.next();
                    if (line.isEmpty()) {
                        continue;
                    }
                    events.add(line);
                    if (killNs == 0 && line.contains("\"text\":\"") && !line.contains("\"text\":\"\"")) {
                        signal("STOP", pids[0]);
                        ProcessHandle.of(pids[1]).orElseThrow().destroyForcibly();
                        killNs = System.nanoTime();
                    }
                    if (line.contains("\"error\"")) {
                        errorNs = System.nanoTime();
                    }
                }
                if (errorNs != 0) {
                    killed = "worker 1 (node 0, shards [1], pid " + pids[1] + ") was killed by signal 9 (SIGKILL)";
                } else {
                    killNs = 0;
                    server.awaitHealthy(pids[1]);
                }
            }
            assertTrue(killed != null, "the stream never failed: " + events);
            assertTrue(events.size() > 2, "no text before the error: " + events);
            assertEquals("data: [DONE]", events.getLast());
            String error = events.get(events.size() - 2);
            assertTrue(error.contains("\"code\":\"engine_unavailable\"") && error.contains(killed), error);
            long errorMs = (errorNs - killNs) / 1_000_000;
            assertTrue(errorMs < 20_000, "error after " + errorMs + " ms");

            // The error went out after the engine said it was restarting: /health is degraded first.
            HttpResponse<String> degraded = server.get("/health");
            assertEquals(503, degraded.statusCode(), degraded.body());
            assertTrue(degraded.body().contains("\"status\":\"degraded\"") && degraded.body().contains(
                    "\"state\":\"restarting\"") && degraded.body().contains(killed), degraded.body());
            server.awaitHealthy(pids1);
            System.out.printf("kill -> error event %d ms, kill -> /health ok %d ms%n", errorMs,
                    (System.nanoTime() - killNs) / 1_000_000);
            assertTrue(server.get("/health").body().contains("\"state\":\"ok\",\"restarts\":"),
                    server.get("/health").body());

            HttpResponse<String> again = server.post(GREEDY);
            assertEquals(200, again.statusCode(), again.body());
            assertEquals(reference, text(again.body()));
            assertTrue(server.process.isAlive());
        }
    }

    @Test
    void withNoRestartAllowedALostWorkerMakesTheServerExit1NamingIt() throws Exception {
        try (Server server = Server.start("--worker-restarts", "0")) {
            assertEquals(200, server.post(GREEDY).statusCode());
            ProcessHandle.of(server.pids[1]).orElseThrow().destroyForcibly();
            assertTrue(server.process.waitFor(60, TimeUnit.SECONDS), "the server still runs");
            assertEquals(1, server.process.exitValue());
            server.drained.await(10, TimeUnit.SECONDS);
            String expected = "error: the engine failed and cannot continue: worker 1 (node 0, shards [1], pid "
                    + server.pids[1] + ") was killed by signal 9 (SIGKILL); no restart allowed";
            assertTrue(server.lines.stream().anyMatch(l -> l.equals(expected)), String.join("\n", server.lines));
        }
    }

    private static String text(String completion) {
        Matcher m = Pattern.compile("\"text\":\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(completion);
        assertTrue(m.find(), completion);
        return m.group(1);
    }

    private static void signal(String name, long pid) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid)).start();
        assertTrue(kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0, "kill -" + name + " " + pid);
    }

    /** A {@code tp serve} with two worker processes, its output collected, stopped on close. */
    private static final class Server implements AutoCloseable {
        final Process process;
        final List<String> lines = Collections.synchronizedList(new ArrayList<>());
        final long[] pids = new long[2];
        final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        final CountDownLatch drained = new CountDownLatch(1);
        private final List<Long> allPids = Collections.synchronizedList(new ArrayList<>());
        private URI base;

        private Server(Process process) {
            this.process = process;
        }

        static Server start(String... extra) throws IOException {
            Path models = SharedData.require("models");
            List<String> command = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                    "-cp", System.getProperty("java.class.path"), TpMain.class.getName(),
                    "serve", "--port", "0", "--max-batch", "2", "--warmup-seconds", "1",
                    "--model", models.resolve("stories260K.bin").toString(),
                    "--tokenizer", models.resolve("tok512.bin").toString(),
                    "--shards", "2", "--workers", "processes", "--workers-per-node", "2",
                    "--collective-timeout-ms", "20000"));
            command.addAll(List.of(extra));
            Server s = new Server(new ProcessBuilder(command).redirectErrorStream(true).start());
            try {
                s.awaitUrl();
            } catch (RuntimeException | Error e) {
                s.process.destroyForcibly();
                throw e;
            }
            return s;
        }

        private void awaitUrl() throws IOException {
            BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8));
            String line;
            while (base == null && (line = out.readLine()) != null) {
                take(line);
                Matcher m = URL.matcher(line);
                if (m.find()) {
                    base = URI.create(m.group(2));
                }
            }
            assertTrue(base != null, "no URL line in:\n" + String.join("\n", lines));
            assertTrue(pids[0] > 0 && pids[1] > 0, String.join("\n", lines));
            Thread.ofPlatform().daemon().start(() -> {
                try {
                    for (String l = out.readLine(); l != null; l = out.readLine()) {
                        take(l);
                    }
                } catch (IOException e) {
                    // the server has exited
                } finally {
                    drained.countDown();
                }
            });
        }

        private void take(String line) {
            lines.add(line);
            Matcher w = WORKER.matcher(line);
            if (w.find()) {
                allPids.add(Long.parseLong(w.group(2)));
                synchronized (pids) {
                    pids[Integer.parseInt(w.group(1))] = Long.parseLong(w.group(2));
                }
            }
            Matcher r = RESTARTED.matcher(line);
            if (r.find()) {
                synchronized (pids) {
                    pids[0] = Long.parseLong(r.group(1));
                    pids[1] = Long.parseLong(r.group(2));
                }
            }
        }

        HttpRequest request(String body) {
            return HttpRequest.newBuilder(base.resolve("/v1/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        }

        HttpResponse<String> post(String body) throws IOException, InterruptedException {
            return client.send(request(body), HttpResponse.BodyHandlers.ofString());
        }

        HttpResponse<String> get(String path) throws IOException, InterruptedException {
            return client.send(HttpRequest.newBuilder(base.resolve(path)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
        }

        long[] pids() {
            synchronized (pids) {
                return pids.clone();
            }
        }

        /** Polls /health until it answers 200 and the log named new workers in place of {@code oldPid}. */
        void awaitHealthy(long oldPid) {
            await("new worker pids", () -> pids()[1] != oldPid);
            await("/health ok", () -> {
                try {
                    return get("/health").statusCode() == 200;
                } catch (IOException e) {
                    return false;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return true;
                }
            });
        }

        private static void await(String what, BooleanSupplier condition) {
            long deadline = System.nanoTime() + WAIT_NS;
            while (!condition.getAsBoolean()) {
                assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what);
                LockSupport.parkNanos(20_000_000L);
            }
        }

        @Override
        public void close() throws Exception {
            try {
                if (process.isAlive()) {
                    process.toHandle().destroy();
                    assertTrue(process.waitFor(60, TimeUnit.SECONDS), "still running after SIGTERM");
                }
            } finally {
                process.destroyForcibly();
                client.close();
            }
            for (long pid : List.copyOf(allPids)) {
                awaitExit(pid, 5);
                assertFalse(ProcessLiveness.running(pid), "worker " + pid + " outlived the server");
            }
        }
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
