package numatp.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 19, finding 3: shutdown waits for the requests in flight and for nothing else. The
 * grace period is set far past each test's timeout, so a shutdown that waits it out (as the
 * JDK's HttpServer.stop(delay) did for half-sent requests and for exchanges whose client
 * left) fails the test instead of passing slowly.
 */
@Timeout(60)
class ShutdownTest {
    static final Duration GRACE = Duration.ofSeconds(600);
    static final int SLOTS = 16;

    static ServeConfig config() {
        return ServeConfig.defaults(BuiltinModel.ID, 0).withShutdownGrace(GRACE);
    }

    @Test
    void sixteenRequestsInFlightFinishThenShutdownReturns() throws Exception {
        try (ServeFixture serve = ServeFixture.builtin(SLOTS, BuiltinModel.tokenizer(), config(), true)) {
            Scheduler scheduler = serve.server.scheduler();
            List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
            for (int i = 0; i < SLOTS; i++) {
                answers.add(ServeLifecycleTest.postAsync(serve, "{\"prompt\": \"Request " + i + "\", \"max_tokens\":"
                        + " 24, \"temperature\": 0" + (i % 2 == 0 ? ", \"stream\": true}" : "}")));
            }
            ServeFixture.await("all requests in (running or queued)", ServeLifecycleTest.WAIT,
                    () -> scheduler.running() + scheduler.queueDepth() == SLOTS);
            CompletableFuture<Void> stopping = CompletableFuture.runAsync(() -> serve.server.shutdown());
            ServeFixture.await("accepting stopped", ServeLifecycleTest.WAIT, () -> !scheduler.accepting());
            serve.gate.open();
            for (CompletableFuture<HttpResponse<String>> a : answers) {
                HttpResponse<String> r = a.get(30, TimeUnit.SECONDS);
                assertEquals(200, r.statusCode(), r.body());
                assertTrue(!r.body().contains("\"error\""), r.body());
            }
            long lastAnswerNs = System.nanoTime();
            stopping.get(40, TimeUnit.SECONDS);
            System.out.printf("shutdown returned %.3f s after the last of %d answers%n",
                    (System.nanoTime() - lastAnswerNs) / 1e9, SLOTS);
            assertTrue(serve.gate.closed(), "engine closed");
        }
    }

    @Test
    void halfSentRequestDoesNotHoldAnIdleServerUp() throws Exception {
        try (ServeFixture serve = ServeFixture.builtin(1, BuiltinModel.tokenizer(), config());
             Socket half = new Socket(InetAddress.getLoopbackAddress(), serve.server.port())) {
            OutputStream out = half.getOutputStream();
            out.write("POST /v1/compl".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertEquals(200, serve.get("/health").statusCode());
            serve.server.shutdown(); // the grace is 600 s; the test's timeout is 60
            half.setSoTimeout(30_000);
            int read;
            try {
                read = half.getInputStream().read();
            } catch (SocketException reset) {
                read = -1;
            }
            assertEquals(-1, read, "the half-sent request's connection is closed");
        }
    }

    @Test
    void clientThatLeftMidRequestDoesNotHoldShutdownUp() throws Exception {
        try (ServeFixture serve = ServeFixture.builtin(1, BuiltinModel.tokenizer(), config())) {
            // A head that promises a body, half the body, then the client goes away.
            try (Socket gone = new Socket(InetAddress.getLoopbackAddress(), serve.server.port())) {
                gone.getOutputStream().write(("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        + "Content-Length: 100\r\n\r\n{\"prompt\"").getBytes(StandardCharsets.US_ASCII));
                gone.getOutputStream().flush();
                ServeFixture.await("the handler reading the body", ServeLifecycleTest.WAIT,
                        () -> handlers(serve) == 1);
            }
            ServeFixture.await("the handler gone", ServeLifecycleTest.WAIT, () -> handlers(serve) == 0);
            serve.server.shutdown();
        }
    }

    private static int handlers(ServeFixture serve) {
        return serve.server.api().handlers();
    }
}
