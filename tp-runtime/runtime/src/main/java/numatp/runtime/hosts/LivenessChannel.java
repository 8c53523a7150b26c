package numatp.runtime.hosts;

import numatp.collectives.ElementType;
import numatp.collectives.mpi.MpiCommunicator;
import numatp.collectives.mpi.MpiSession;
import numatp.models.ModelException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Opens the liveness channel of {@code --workers mpi} at start-up, a collective over the world:
 * rank 0 listens ({@link LivenessWatch}) and broadcasts over MPI a random token, its port and its
 * addresses (the interfaces of Open MPI's {@code btl_tcp_if_include} first, loopback last); every
 * other rank connects to the first address that answers with the token ({@link LivenessBeacon}).
 * Ranks beat every {@link #beatMs} and one silent for {@link #silentMs} is lost.
 */
final class LivenessChannel {
    /** Fixes rank 0's liveness port (for a firewall); unset, the port is an ephemeral one. */
    static final String PORT_ENV = "NUMATP_MPI_LIVENESS_PORT";
    private static final int PAYLOAD_BYTES = 2048;

    private LivenessChannel() {
    }

    /** The beat period for a collective timeout of {@code timeoutMs}: 1 s, or a quarter of it when that is shorter. */
    static long beatMs(long timeoutMs) {
        return Math.max(1, Math.min(1_000, timeoutMs / 4));
    }

    /**
     * How long a rank may be silent before it is lost: the collective timeout less one beat, so that
     * with a stopped host rank 0's verdict (a 503 naming the host) comes before its MPI watchdog
     * ends the process over the collective stuck since the host stopped.
     */
    static long silentMs(long timeoutMs) {
        return Math.max(2 * beatMs(timeoutMs), timeoutMs - beatMs(timeoutMs));
    }

    /** Rank 0: listens, broadcasts where, and waits until every other rank has connected. */
    static LivenessWatch rankZero(MpiSession session, MpiCommunicator world, long timeoutMs) {
        long token = new SecureRandom().nextLong();
        LivenessWatch watch = LivenessWatch.listen(port(), token);
        try {
            List<String> lines = new ArrayList<>(List.of(Long.toString(token), Integer.toString(watch.port()),
                    session.hostName(session.hostOfRank(0))));
            for (InetAddress a : addresses(System.getenv("OMPI_MCA_btl_tcp_if_include"))) {
                lines.add(a.getHostAddress());
            }
            exchange(world, String.join("\n", lines));
            watch.awaitPeers(IntStream.range(1, session.worldSize()).toArray(), timeoutMs);
            return watch;
        } catch (RuntimeException e) {
            watch.close("rank 0 could not open the liveness channel: " + e.getMessage());
            throw e;
        }
    }

    /** A rank other than 0: receives where rank 0 listens and connects. */
    static LivenessBeacon follower(MpiSession session, MpiCommunicator world, long timeoutMs) {
        List<String> lines = Arrays.asList(exchange(world, "").split("\n"));
        if (lines.size() < 4) {
            throw new ModelException("the liveness channel of --workers mpi: rank 0 sent no address: " + lines);
        }
        long token = Long.parseLong(lines.get(0));
        int port = Integer.parseInt(lines.get(1));
        List<InetAddress> addresses = new ArrayList<>();
        for (String a : lines.subList(3, lines.size())) {
            try {
                addresses.add(InetAddress.getByName(a)); // a literal: no lookup
            } catch (UnknownHostException e) {
                // not an address: skipped
            }
        }
        int rank = session.worldRank();
        return LivenessBeacon.connect(addresses, port, token, rank, session.hostName(session.hostOfRank(rank)),
                lines.get(2), Math.max(1, Math.min(timeoutMs, 2_000)));
    }

    /** Rank 0's {@code text} on every rank (an MPI broadcast of a fixed-size buffer). */
    private static String exchange(MpiCommunicator world, String text) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(PAYLOAD_BYTES, 64);
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            if (bytes.length >= PAYLOAD_BYTES) {
                int cut = text.lastIndexOf('\n', PAYLOAD_BYTES / 2); // keep whole lines: the first addresses
                bytes = text.substring(0, Math.max(0, cut)).getBytes(StandardCharsets.UTF_8);
            }
            MemorySegment.copy(bytes, 0, buffer, ValueLayout.JAVA_BYTE, 0, bytes.length);
            world.broadcast(buffer, PAYLOAD_BYTES / 4, ElementType.F32, 0);
            return buffer.getString(0, StandardCharsets.UTF_8);
        }
    }

    private static int port() {
        String value = System.getenv(PORT_ENV);
        if (value == null || value.isBlank()) {
            return 0;
        }
        try {
            int port = Integer.parseInt(value.strip());
            if (port < 0 || port > 65_535) {
                throw new NumberFormatException();
            }
            return port;
        } catch (NumberFormatException e) {
            throw new ModelException(PORT_ENV + " must be a TCP port in [0, 65535]: " + value);
        }
    }

    /**
     * This host's addresses to offer: those of the interfaces named in {@code preferred} (Open MPI's
     * comma-separated {@code btl_tcp_if_include}, may be null) first, then the other interfaces that
     * are up, IPv4 before IPv6, loopback last; link-local IPv6 addresses are left out.
     */
    static List<InetAddress> addresses(String preferred) {
        List<String> names = preferred == null ? List.of() : Arrays.stream(preferred.split(",")).map(String::strip)
                .toList();
        List<InetAddress> first = new ArrayList<>();
        List<InetAddress> rest = new ArrayList<>();
        List<InetAddress> loopback = new ArrayList<>();
        try {
            for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (!nif.isUp()) {
                    continue;
                }
                for (InetAddress a : Collections.list(nif.getInetAddresses())) {
                    if (a.isLinkLocalAddress()) {
                        continue;
                    }
                    (names.contains(nif.getName()) ? first : a.isLoopbackAddress() ? loopback : rest).add(a);
                }
            }
        } catch (SocketException e) {
            throw new ModelException("cannot list this host's network interfaces: " + e.getMessage(), e);
        }
        List<InetAddress> all = new ArrayList<>();
        for (List<InetAddress> group : List.of(first, rest, loopback)) {
            group.stream().filter(a -> a instanceof Inet4Address).forEach(all::add);
            group.stream().filter(a -> !(a instanceof Inet4Address)).forEach(all::add);
        }
        return all;
    }
}
