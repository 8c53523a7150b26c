package numatp.runtime.hosts;

import numatp.models.ModelException;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Rank 0's side of the liveness channel of {@code --workers mpi}: a TCP listener every other rank
 * connects to at start ({@link LivenessBeacon}), then one daemon thread that watches those
 * connections. MPI itself says nothing useful when a peer dies (Open MPI 4.1 prints that a peer
 * "unexpectedly disconnected" and the collective in flight hangs), so this channel is how rank 0
 * learns <em>which</em> rank on which host is gone:
 *
 * <ul>
 * <li>a process that dies (killed, crashed) has its socket closed by its kernel: rank 0 reads the
 *     end within milliseconds, without the goodbye a rank sends when it exits ({@link RankLoss.How#DIED});
 * <li>a host that stops, or whose link drops, stops sending: every rank sends a beat each
 *     {@code beatMs}, and one not heard from for {@code silentMs} is lost ({@link RankLoss.How#SILENT});
 * <li>a rank that says goodbye while rank 0 is not stopping the job is leaving on a signal
 *     ({@link RankLoss.How#LEFT}).
 * </ul>
 *
 * The first loss goes to the listener (once); rank 0 then fails its engine. {@link #stopping} says
 * that rank 0 itself ends the job from now on, so goodbyes and closes are expected.
 *
 * <p>Wire format, one ASCII line each: the watch sends {@code numatp-liveness <token>} on accept;
 * a rank answers {@code hello <rank> <pid> <host>}; both then send {@code beat}; a rank leaving
 * sends {@code bye}, one whose step failed {@code fail <what>} before it ends the job; rank 0 sends {@code bye} before it broadcasts the stop, or {@code end <reason>}
 * when it ends the job without one.
 */
public final class LivenessWatch implements AutoCloseable {
    static final String GREETING = "numatp-liveness ";
    private static final int LINE_BYTES = 512;
    private static final long CLOSE_JOIN_MS = 1_000;

    private final ServerSocketChannel server;
    private final Selector selector;
    private final long token;
    private final List<Peer> peers = new ArrayList<>();
    private Thread thread;
    private volatile boolean stopping;
    private volatile String ending; // set by close: the last line to send, then the thread ends
    private volatile boolean closed;

    /** One connected rank, as the watch thread tracks it. */
    private static final class Peer {
        final SocketChannel channel;
        final ByteBuffer in = ByteBuffer.allocate(LINE_BYTES);
        int rank = -1;
        long pid;
        String host = "?";
        String error = ""; // the I/O error that ended the connection, if one did
        long lastHeardNs;
        boolean gone;

        Peer(SocketChannel channel) {
            this.channel = channel;
        }
    }

    private LivenessWatch(ServerSocketChannel server, Selector selector, long token) {
        this.server = server;
        this.selector = selector;
        this.token = token;
    }

    /** Listens on every interface, on {@code port} (0: an ephemeral one). */
    public static LivenessWatch listen(int port, long token) {
        ServerSocketChannel server = null;
        try {
            server = ServerSocketChannel.open();
            server.bind(new InetSocketAddress(port));
            server.configureBlocking(false);
            Selector selector = Selector.open();
            server.register(selector, SelectionKey.OP_ACCEPT);
            return new LivenessWatch(server, selector, token);
        } catch (IOException e) {
            closeQuietly(server);
            throw new ModelException("cannot open the liveness listener of --workers mpi on port " + port + ": "
                    + e.getMessage(), e);
        }
    }

    /** The port ranks connect to. */
    public int port() {
        try {
            return ((InetSocketAddress) server.getLocalAddress()).getPort();
        } catch (IOException e) {
            throw new ModelException("the liveness listener has no address: " + e.getMessage(), e);
        }
    }

    /**
     * Accepts connections until each of {@code ranks} (world ranks) has said hello, then stops
     * listening. Throws naming the ranks not heard from after {@code timeoutMs}, or a rank that
     * says hello twice or is not expected.
     */
    public void awaitPeers(int[] ranks, long timeoutMs) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        try {
            while (missing(ranks).length > 0) {
                long leftMs = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (leftMs <= 0) {
                    throw new ModelException("the liveness channel of --workers mpi: world rank(s) "
                            + Arrays.toString(missing(ranks)) + " did not connect to rank 0's port "
                            + port() + " in " + timeoutMs + " ms (--collective-timeout-ms): a firewall between the"
                            + " hosts? (allow TCP to rank 0's host, or fix the port with "
                            + LivenessChannel.PORT_ENV + ")");
                }
                selector.select(Math.max(1, leftMs));
                for (SelectionKey key : selector.selectedKeys()) {
                    if (key.isAcceptable()) {
                        SocketChannel c = server.accept();
                        if (c != null) {
                            c.configureBlocking(false);
                            c.socket().setTcpNoDelay(true);
                            Peer p = new Peer(c);
                            p.lastHeardNs = System.nanoTime();
                            c.register(selector, SelectionKey.OP_READ, p);
                            peers.add(p);
                            send(p, GREETING + token);
                        }
                    } else if (key.isReadable()) {
                        Peer p = (Peer) key.attachment();
                        for (String line : read(p)) {
                            hello(p, line, ranks);
                        }
                        if (p.gone && p.rank < 0) { // a stray connection that left: forget it
                            key.cancel();
                            peers.remove(p);
                        }
                    }
                }
                selector.selectedKeys().clear();
            }
            server.keyFor(selector).cancel();
            server.close();
        } catch (IOException e) {
            throw new ModelException("the liveness channel of --workers mpi failed while the ranks connected: "
                    + e.getMessage(), e);
        }
    }

    private void hello(Peer p, String line, int[] ranks) {
        String[] f = line.split(" ", 4);
        if (f.length != 4 || !f[0].equals("hello") || p.rank >= 0) {
            return; // not a rank of this job (a port scan, say): ignored
        }
        int rank;
        long pid;
        try {
            rank = Integer.parseInt(f[1]);
            pid = Long.parseLong(f[2]);
        } catch (NumberFormatException e) {
            return;
        }
        boolean expected = false;
        for (int r : ranks) {
            expected |= r == rank;
        }
        for (Peer other : peers) {
            if (other.rank == rank) {
                throw new ModelException("the liveness channel of --workers mpi: world rank " + rank
                        + " connected twice (from hosts " + other.host + " and " + f[3] + ")");
            }
        }
        if (!expected) {
            throw new ModelException("the liveness channel of --workers mpi: world rank " + rank + " (host " + f[3]
                    + ") is not one of the expected ranks " + Arrays.toString(ranks));
        }
        p.rank = rank;
        p.pid = pid;
        p.host = f[3];
    }

    private int[] missing(int[] ranks) {
        return Arrays.stream(ranks).filter(r -> peers.stream().noneMatch(p -> p.rank == r)).toArray();
    }

    /**
     * Starts the watch thread: beats every {@code beatMs}, and gives {@code onLoss} the first rank
     * lost (on that thread) unless {@link #stopping} or {@link #close} came first.
     */
    public void start(long beatMs, long silentMs, Consumer<RankLoss> onLoss) {
        if (beatMs <= 0 || silentMs <= beatMs) {
            throw new IllegalArgumentException("need 0 < beatMs < silentMs: " + beatMs + ", " + silentMs);
        }
        thread = Thread.ofPlatform().daemon().name("numatp-liveness-watch")
                .start(() -> watch(TimeUnit.MILLISECONDS.toNanos(beatMs), TimeUnit.MILLISECONDS.toNanos(silentMs),
                        onLoss));
    }

    private void watch(long beatNs, long silentNs, Consumer<RankLoss> onLoss) {
        boolean reported = false;
        long nextBeatNs = System.nanoTime();
        try {
            while (ending == null) {
                long now = System.nanoTime();
                if (now - nextBeatNs >= 0) {
                    for (Peer p : peers) {
                        if (!p.gone) {
                            send(p, "beat");
                        }
                    }
                    nextBeatNs = now + beatNs;
                }
                selector.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(nextBeatNs - now)));
                for (SelectionKey key : selector.selectedKeys()) {
                    Peer p = (Peer) key.attachment();
                    for (String line : read(p)) {
                        if (line.equals("bye")) {
                            p.gone = true;
                            reported = report(reported, onLoss, p, RankLoss.How.LEFT, "");
                        } else if (line.startsWith("fail ")) {
                            p.gone = true;
                            reported = report(reported, onLoss, p, RankLoss.How.FAILED, line.substring(5));
                        }
                    }
                    if (p.gone) {
                        key.cancel();
                        reported = report(reported, onLoss, p, RankLoss.How.DIED, p.error);
                    }
                }
                selector.selectedKeys().clear();
                now = System.nanoTime();
                for (Peer p : peers) {
                    if (!p.gone && now - p.lastHeardNs > silentNs) {
                        reported = report(reported, onLoss, p, RankLoss.How.SILENT, "");
                    }
                }
            }
            String last = ending;
            for (Peer p : peers) {
                if (!p.gone) {
                    send(p, last);
                }
            }
        } catch (IOException | RuntimeException e) {
            System.getLogger(LivenessWatch.class.getName()).log(System.Logger.Level.WARNING,
                    "the liveness watch of --workers mpi stopped: " + e);
        } finally {
            for (Peer p : peers) {
                closeQuietly(p.channel);
            }
            closeQuietly(server);
            closeQuietly(selector);
        }
    }

    private boolean report(boolean reported, Consumer<RankLoss> onLoss, Peer p, RankLoss.How how, String note) {
        if (reported || stopping || ending != null) {
            return reported;
        }
        if (how == RankLoss.How.SILENT) {
            p.gone = true; // reported once; later beats, if it comes back, no longer matter
        }
        onLoss.accept(new RankLoss(p.rank, p.host, p.pid, how, note));
        return true;
    }

    /** Lines read so far (without their '\n'); marks the peer gone at end of stream or on an error. */
    private List<String> read(Peer p) {
        List<String> lines = new ArrayList<>(2);
        if (p.gone) {
            return lines;
        }
        try {
            int n = p.channel.read(p.in);
            if (n < 0) {
                p.gone = true;
            } else if (n > 0) {
                p.lastHeardNs = System.nanoTime();
            }
        } catch (IOException e) {
            p.gone = true;
            p.error = e.getMessage() != null ? e.getMessage() : e.toString();
        }
        ByteBuffer in = p.in;
        int start = 0;
        for (int i = 0; i < in.position(); i++) {
            if (in.get(i) == '\n') {
                lines.add(new String(in.array(), start, i - start, StandardCharsets.UTF_8));
                start = i + 1;
            }
        }
        if (start > 0 || !in.hasRemaining()) {
            int keep = in.hasRemaining() ? in.position() - start : 0; // a line longer than the buffer is dropped
            System.arraycopy(in.array(), start, in.array(), 0, keep);
            in.position(keep);
        }
        return lines;
    }

    /**
     * A line to a peer; a peer whose send buffer is full (it stopped reading long ago) misses it,
     * and one whose socket fails is gone.
     */
    private void send(Peer p, String line) {
        try {
            p.channel.write(ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8)));
        } catch (IOException e) {
            p.gone = true;
            p.error = e.getMessage() != null ? e.getMessage() : e.toString();
        }
    }

    /** Rank 0 ends the job itself from now on: goodbyes and closed connections are expected, not losses. */
    public void stopping() {
        stopping = true;
    }

    /**
     * Ends the watch: each rank still connected gets {@code bye} (rank 0 broadcasts the stop next) or,
     * with a {@code reason}, {@code end <reason>} (rank 0 ends the job without a stop: the rank exits at
     * once, printing the reason).
     */
    public void close(String reason) {
        if (closed) {
            return;
        }
        closed = true;
        stopping = true;
        ending = reason == null ? "bye" : "end " + reason.replace('\n', ' ');
        if (thread == null) {
            for (Peer p : peers) {
                closeQuietly(p.channel);
            }
            closeQuietly(server);
            closeQuietly(selector);
            return;
        }
        selector.wakeup(); // the thread sends the last line and closes everything
        if (thread != Thread.currentThread()) {
            try {
                thread.join(CLOSE_JOIN_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void close() {
        close(null);
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            // closing: nothing left to do with it
        }
    }
}
