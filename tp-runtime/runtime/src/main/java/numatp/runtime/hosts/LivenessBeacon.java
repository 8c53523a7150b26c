package numatp.runtime.hosts;

import numatp.models.ModelException;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * A follower rank's side of the liveness channel of {@code --workers mpi} (rank 0's is
 * {@link LivenessWatch}): connected to rank 0 at start, it says which rank and host it is, sends a
 * beat every {@code beatMs}, and says goodbye when its JVM shuts down (a signal, or its end after
 * rank 0's stop). A rank that is killed sends nothing: its kernel closes the socket, which is how
 * rank 0 tells a death from an exit.
 *
 * <p>It also watches rank 0, since a follower waits for rank 0's next step without a time bound:
 * rank 0's connection closing without a goodbye, or silent for {@code silentMs}, or an
 * {@code end <reason>} from it, goes to {@code onRankZeroLost} with a line naming rank 0's host
 * and what happened (by default the process prints it and ends, and mpirun ends the job).
 */
public final class LivenessBeacon implements AutoCloseable {
    private final Socket socket;
    private final String rankZeroHost;
    private final Object writeLock = new Object();
    private Thread thread;
    private Thread hook;
    private volatile boolean closed;

    private LivenessBeacon(Socket socket, String rankZeroHost) {
        this.socket = socket;
        this.rankZeroHost = rankZeroHost;
    }

    /**
     * Connects to rank 0's watch at the first of {@code addresses} that answers with {@code token}
     * (each tried for {@code connectTimeoutMs}), and says hello. Throws naming every address tried.
     */
    public static LivenessBeacon connect(List<InetAddress> addresses, int port, long token, int rank, String host,
                                         String rankZeroHost, long connectTimeoutMs) {
        List<String> tried = new ArrayList<>();
        for (InetAddress address : addresses) {
            Socket s = new Socket();
            try {
                s.connect(new InetSocketAddress(address, port), (int) Math.min(Integer.MAX_VALUE, connectTimeoutMs));
                s.setTcpNoDelay(true);
                s.setSoTimeout((int) Math.min(Integer.MAX_VALUE, connectTimeoutMs));
                String greeting = readLine(s.getInputStream());
                if (!(LivenessWatch.GREETING + token).equals(greeting)) {
                    throw new IOException("not this job's rank 0 (it said " + greeting + ")");
                }
                LivenessBeacon beacon = new LivenessBeacon(s, rankZeroHost);
                beacon.send("hello " + rank + " " + ProcessHandle.current().pid() + " " + host);
                return beacon;
            } catch (IOException e) {
                tried.add(address.getHostAddress() + ":" + port + " (" + e.getMessage() + ")");
                try {
                    s.close();
                } catch (IOException ignored) {
                    // it failed already
                }
            }
        }
        throw new ModelException("world rank " + rank + " (host " + host + ") cannot reach rank 0's liveness port on"
                + " host " + rankZeroHost + ": tried " + String.join(", ", tried) + "; allow TCP from this host to"
                + " rank 0's (or fix the port with " + LivenessChannel.PORT_ENV + ")");
    }

    /**
     * Starts beating every {@code beatMs} and watching rank 0 (on a daemon thread), and says goodbye
     * when this JVM shuts down.
     */
    public void start(long beatMs, long silentMs, Consumer<String> onRankZeroLost) {
        if (beatMs <= 0 || silentMs <= beatMs) {
            throw new IllegalArgumentException("need 0 < beatMs < silentMs: " + beatMs + ", " + silentMs);
        }
        try {
            socket.setSoTimeout((int) beatMs);
        } catch (IOException e) {
            throw new ModelException("the liveness channel to rank 0 failed: " + e.getMessage(), e);
        }
        hook = new Thread(this::close, "numatp-liveness-bye");
        Runtime.getRuntime().addShutdownHook(hook);
        thread = Thread.ofPlatform().daemon().name("numatp-liveness-beacon")
                .start(() -> beat(TimeUnit.MILLISECONDS.toNanos(beatMs), TimeUnit.MILLISECONDS.toNanos(silentMs),
                        silentMs, onRankZeroLost));
    }

    private void beat(long beatNs, long silentNs, long silentMs, Consumer<String> onRankZeroLost) {
        String who = "world rank 0 (host " + rankZeroHost + ")";
        long lastHeardNs = System.nanoTime();
        long nextBeatNs = lastHeardNs;
        long byeDeadlineNs = 0; // after rank 0's bye: its stop must come by then
        boolean bye = false;
        try {
            InputStream in = socket.getInputStream();
            StringBuilder line = new StringBuilder();
            while (!closed) {
                long now = System.nanoTime();
                if (!bye && now - nextBeatNs >= 0) {
                    send("beat");
                    nextBeatNs = now + beatNs;
                }
                if (bye && now - byeDeadlineNs >= 0) {
                    onRankZeroLost.accept(who + " said it was stopping the job, but its stop has not come in "
                            + silentMs + " ms");
                    return;
                }
                if (!bye && now - lastHeardNs > silentNs) {
                    onRankZeroLost.accept(who + " has not been heard from in " + silentMs
                            + " ms (--collective-timeout-ms): its host is stopped or its link is down");
                    return;
                }
                int b;
                try {
                    b = in.read();
                } catch (SocketTimeoutException e) {
                    continue;
                }
                if (b < 0) {
                    if (!bye) {
                        if (!closed) {
                            onRankZeroLost.accept(who + " died: its liveness connection closed without a goodbye"
                                    + " (the process was killed or crashed, or its host went down)");
                        }
                        return;
                    }
                    LockSupport.parkNanos(Math.max(1, byeDeadlineNs - System.nanoTime())); // the stop ends this JVM
                    continue;
                }
                lastHeardNs = System.nanoTime();
                if (b != '\n') {
                    line.append((char) b);
                    continue;
                }
                String text = line.toString();
                line.setLength(0);
                if (text.equals("bye")) {
                    bye = true;
                    byeDeadlineNs = System.nanoTime() + silentNs;
                } else if (text.startsWith("end ")) {
                    onRankZeroLost.accept(who + " ended the job: " + text.substring(4));
                    return;
                }
            }
        } catch (IOException e) {
            if (!closed && !bye) {
                onRankZeroLost.accept(who + " died: its liveness connection failed (" + e.getMessage() + ")");
            }
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                throw new IOException("the connection closed");
            }
            if (line.length() > 256) {
                throw new IOException("not a liveness greeting");
            }
            line.append((char) b);
        }
        return line.toString();
    }

    private void send(String line) throws IOException {
        OutputStream out = socket.getOutputStream();
        synchronized (writeLock) {
            out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        }
    }

    /** Tells rank 0 that this rank failed ({@code what}: how), before it ends the job; then closes without a goodbye. */
    public void fail(String what) {
        if (closed) {
            return;
        }
        closed = true;
        try {
            send("fail " + what.replace('\n', ' '));
            socket.close();
        } catch (IOException e) {
            // rank 0 is gone already
        }
    }

    /** Says goodbye (this rank is leaving: rank 0 stopped it, or a signal ends it) and closes. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            send("bye");
        } catch (IOException e) {
            // rank 0 is gone already
        }
        try {
            socket.close();
        } catch (IOException e) {
            // closing
        }
        if (hook != null && Thread.currentThread() != hook) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // the JVM is shutting down: the hook runs close, which returns at once
            }
        }
    }
}
