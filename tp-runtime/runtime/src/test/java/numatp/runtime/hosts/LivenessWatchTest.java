package numatp.runtime.hosts;

import numatp.models.ModelException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The liveness channel of {@code --workers mpi} over plain loopback sockets: rank 0's
 * {@link LivenessWatch} names the rank, host and pid of a peer that closes without a goodbye
 * (died), goes silent (stopped host), says goodbye unasked (a signal) or reports a failure; a
 * follower's {@link LivenessBeacon} names rank 0 when it ends the job, dies or goes silent.
 */
@Timeout(60)
class LivenessWatchTest {
    private static final long TOKEN = 0x5eed_f00dL;
    private static final long LONG_MS = 60_000; // a bound no test reaches: a loss seen must be the one under test
    private static final int BLOCK_MS = 20_000; // the most a test's socket read blocks

    /** A rank of a test: a plain socket that speaks the wire format by hand. */
    private static final class FakeRank implements AutoCloseable {
        final Socket socket;
        final int rank;

        /** Connects and says hello; the watch accepts (and greets) once it awaits its peers. */
        FakeRank(int port, int rank, String host) throws IOException {
            this.socket = new Socket(InetAddress.getLoopbackAddress(), port);
            this.rank = rank;
            socket.setSoTimeout(BLOCK_MS);
            send("hello " + rank + " " + (4000 + rank) + " " + host);
        }

        /** Reads rank 0's greeting (after {@code awaitPeers}). */
        FakeRank greeted() throws IOException {
            assertEquals(LivenessWatch.GREETING + TOKEN, readLine(socket.getInputStream()));
            return this;
        }

        void send(String line) throws IOException {
            OutputStream out = socket.getOutputStream();
            out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    @Test
    void aPeerThatClosesWithoutAGoodbyeDiedAndIsNamed() throws Exception {
        try (LivenessWatch watch = LivenessWatch.listen(0, TOKEN)) {
            FakeRank one = new FakeRank(watch.port(), 1, "node-b");
            watch.awaitPeers(new int[] {1}, 10_000);
            one.greeted();
            CompletableFuture<RankLoss> loss = new CompletableFuture<>();
            watch.start(50, LONG_MS, loss::complete);
            one.close(); // as its kernel does when the process is killed
            RankLoss lost = loss.get(30, TimeUnit.SECONDS);
            assertEquals(new RankLoss(1, "node-b", 4001, RankLoss.How.DIED, lost.note()), lost);
            assertTrue(lost.describe(LONG_MS).startsWith("world rank 1 (host node-b, pid 4001) died: its liveness"
                    + " connection closed without a goodbye"), lost.describe(LONG_MS));
        }
    }

    @Test
    void aPeerThatGoesSilentIsLostAfterTheBound() throws Exception {
        try (LivenessWatch watch = LivenessWatch.listen(0, TOKEN); FakeRank one = new FakeRank(watch.port(), 1, "b");
             FakeRank two = new FakeRank(watch.port(), 2, "c")) {
            watch.awaitPeers(new int[] {1, 2}, 10_000);
            one.greeted();
            two.greeted();
            CompletableFuture<RankLoss> loss = new CompletableFuture<>();
            long t0 = System.nanoTime();
            watch.start(50, 400, loss::complete);
            // Rank 2 beats on; rank 1 says nothing more (a stopped host keeps its socket open).
            RankLoss lost = null;
            while (lost == null) {
                two.send("beat");
                lost = within(loss, 50); // the beat interval, cut short by the loss
            }
            assertEquals(1, lost.rank());
            assertEquals(RankLoss.How.SILENT, lost.how());
            assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(400), "lost before the bound");
            assertEquals("world rank 1 (host b, pid 4001) has not been heard from in 400 ms (--collective-timeout-ms):"
                    + " its host is stopped or its link is down", lost.describe(400));
        }
    }

    /**
     * Seeded: 1 to 4 ranks, one of them lost in a random way (closed, silent, goodbye, failure) after
     * a random number of beats from all: the loss names that rank, its host and how, once.
     */
    @Test
    void theLostRankIsNamedWhicheverWayItGoes() throws Exception {
        long seed = new SplittableRandom().nextLong();
        SplittableRandom random = new SplittableRandom(seed);
        for (int round = 0; round < 12; round++) {
            int ranks = 1 + random.nextInt(4);
            int victim = 1 + random.nextInt(ranks);
            RankLoss.How how = RankLoss.How.values()[random.nextInt(RankLoss.How.values().length)];
            int beats = random.nextInt(4);
            String context = "seed " + seed + ", round " + round + ": " + ranks + " ranks, rank " + victim + " " + how
                    + " after " + beats + " beats";
            List<RankLoss> losses = new ArrayList<>();
            CompletableFuture<RankLoss> first = new CompletableFuture<>();
            try (LivenessWatch watch = LivenessWatch.listen(0, TOKEN)) {
                List<FakeRank> fakes = new ArrayList<>();
                try {
                    for (int r = 1; r <= ranks; r++) {
                        fakes.add(new FakeRank(watch.port(), r, "host-" + r));
                    }
                    watch.awaitPeers(IntStream.rangeClosed(1, ranks).toArray(), 10_000);
                    for (FakeRank f : fakes) {
                        f.greeted();
                    }
                    long silentMs = how == RankLoss.How.SILENT ? 300 : LONG_MS;
                    watch.start(20, silentMs, l -> {
                        synchronized (losses) {
                            losses.add(l);
                        }
                        first.complete(l);
                    });
                    for (int b = 0; b < beats; b++) {
                        for (FakeRank f : fakes) {
                            f.send("beat");
                        }
                    }
                    FakeRank v = fakes.get(victim - 1);
                    switch (how) {
                        case DIED -> v.close();
                        case LEFT -> v.send("bye");
                        case FAILED -> v.send("fail engine step failed: injected");
                        case SILENT -> { } // the others beat on below
                    }
                    RankLoss lost = null;
                    while (lost == null) {
                        for (FakeRank f : fakes) {
                            if (f != v) {
                                f.send("beat");
                            }
                        }
                        lost = within(first, 20);
                    }
                    assertEquals(victim, lost.rank(), context);
                    assertEquals("host-" + victim, lost.host(), context);
                    assertEquals(4000 + victim, lost.pid(), context);
                    assertEquals(how, lost.how(), context);
                    if (how == RankLoss.How.FAILED) {
                        assertEquals("engine step failed: injected", lost.note(), context);
                    }
                    fakes.get(0).close(); // a later loss is not reported again
                } finally {
                    for (FakeRank f : fakes) {
                        f.close();
                    }
                }
            }
            synchronized (losses) {
                assertEquals(1, losses.size(), context + ": " + losses);
            }
        }
    }

    @Test
    void aRankThatNeverConnectsIsNamed() {
        try (LivenessWatch watch = LivenessWatch.listen(0, TOKEN)) {
            ModelException e = assertThrows(ModelException.class, () -> {
                try (FakeRank one = new FakeRank(watch.port(), 1, "b")) {
                    watch.awaitPeers(new int[] {1, 2}, 300);
                }
            });
            assertTrue(e.getMessage().contains("world rank(s) [2] did not connect to rank 0's port"), e.getMessage());
        }
    }

    @Test
    void theBeaconHearsRankZeroEndTheJobAndRankZeroHearsTheBeaconsGoodbye() throws Exception {
        try (LivenessWatch watch = LivenessWatch.listen(0, TOKEN)) {
            CompletableFuture<Void> joined = CompletableFuture.runAsync(() -> watch.awaitPeers(new int[] {1}, 10_000));
            LivenessBeacon beacon = LivenessBeacon.connect(List.of(InetAddress.getLoopbackAddress()), watch.port(),
                    TOKEN, 1, "node-b", "node-a", 5_000);
            try {
                joined.get(30, TimeUnit.SECONDS);
                CompletableFuture<RankLoss> loss = new CompletableFuture<>();
                watch.start(50, LONG_MS, loss::complete);
                CompletableFuture<String> ended = new CompletableFuture<>();
                beacon.start(50, LONG_MS, ended::complete);
                watch.close("rank 0 is ending the job: world rank 2 (host c, pid 9) died");
                assertEquals("world rank 0 (host node-a) ended the job: rank 0 is ending the job: world rank 2 (host c,"
                        + " pid 9) died", ended.get(30, TimeUnit.SECONDS));
                assertTrue(!loss.isDone(), "rank 0 ended the job itself: " + loss.getNow(null));
            } finally {
                beacon.close();
            }
        }
        try (LivenessWatch watch = LivenessWatch.listen(0, TOKEN)) {
            CompletableFuture<Void> joined = CompletableFuture.runAsync(() -> watch.awaitPeers(new int[] {3}, 10_000));
            LivenessBeacon beacon = LivenessBeacon.connect(List.of(InetAddress.getLoopbackAddress()), watch.port(),
                    TOKEN, 3, "node-d", "node-a", 5_000);
            joined.get(30, TimeUnit.SECONDS);
            CompletableFuture<RankLoss> loss = new CompletableFuture<>();
            watch.start(50, LONG_MS, loss::complete);
            beacon.start(50, LONG_MS, detail -> { });
            beacon.close(); // as its shutdown hook does on SIGTERM
            RankLoss lost = loss.get(30, TimeUnit.SECONDS);
            assertEquals(RankLoss.How.LEFT, lost.how());
            assertEquals(3, lost.rank());
            assertEquals(ProcessHandle.current().pid(), lost.pid());
        }
    }

    @Test
    void theBeaconNamesRankZeroWhenItDiesOrGoesSilent() throws Exception {
        for (boolean dies : new boolean[] {true, false}) {
            try (ServerSocket fakeRankZero = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                CompletableFuture<Socket> accepted = CompletableFuture.supplyAsync(() -> {
                    try {
                        Socket s = fakeRankZero.accept();
                        s.getOutputStream().write((LivenessWatch.GREETING + TOKEN + "\n").getBytes(StandardCharsets.UTF_8));
                        return s;
                    } catch (IOException e) {
                        throw new AssertionError(e);
                    }
                });
                LivenessBeacon beacon = LivenessBeacon.connect(List.of(InetAddress.getLoopbackAddress()),
                        fakeRankZero.getLocalPort(), TOKEN, 1, "node-b", "node-a", 1_000);
                try (Socket rankZero = accepted.get(30, TimeUnit.SECONDS)) {
                    rankZero.setSoTimeout(BLOCK_MS);
                    assertEquals("hello 1 " + ProcessHandle.current().pid() + " node-b",
                            readLine(rankZero.getInputStream()));
                    CompletableFuture<String> lost = new CompletableFuture<>();
                    beacon.start(50, dies ? LONG_MS : 300, lost::complete);
                    if (dies) {
                        rankZero.close();
                    }
                    String detail = lost.get(30, TimeUnit.SECONDS);
                    assertTrue(detail.startsWith(dies ? "world rank 0 (host node-a) died: its liveness connection"
                            : "world rank 0 (host node-a) has not been heard from in 300 ms"), detail);
                } finally {
                    beacon.close();
                }
            }
        }
    }

    @Test
    void theBeaconRefusesAProgramThatIsNotThisJobsRankZero() throws Exception {
        try (ServerSocket stranger = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             LivenessWatch watch = LivenessWatch.listen(0, TOKEN)) {
            Thread.ofVirtual().start(() -> {
                try (Socket s = stranger.accept()) {
                    s.getOutputStream().write("SSH-2.0-OpenSSH\n".getBytes(StandardCharsets.US_ASCII));
                    s.getInputStream().read();
                } catch (IOException e) {
                    // the beacon moved on
                }
            });
            ModelException e = assertThrows(ModelException.class, () -> LivenessBeacon.connect(
                    List.of(InetAddress.getLoopbackAddress()), stranger.getLocalPort(), TOKEN, 1, "b", "a", 1_000));
            assertTrue(e.getMessage().contains("cannot reach rank 0's liveness port on host a: tried 127.0.0.1:"
                    + stranger.getLocalPort() + " (not this job's rank 0 (it said SSH-2.0-OpenSSH))"), e.getMessage());
            CompletableFuture<Void> joined = CompletableFuture.runAsync(() -> watch.awaitPeers(new int[] {1}, 10_000));
            LivenessBeacon beacon = LivenessBeacon.connect(List.of(InetAddress.getLoopbackAddress()), watch.port(),
                    TOKEN, 1, "b", "a", 5_000);
            joined.get(30, TimeUnit.SECONDS);
            beacon.close();
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                throw new IOException("closed after '" + line + "'");
            }
            line.append((char) b);
        }
        return line.toString();
    }

    /** The loss once reported, waiting at most {@code ms} for it; null when none came in that time. */
    private static RankLoss within(CompletableFuture<RankLoss> loss, long ms) throws Exception {
        try {
            return loss.get(ms, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            return null;
        }
    }
}
