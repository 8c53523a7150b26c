package numatp.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 19, finding 4: {@code --read-timeout} closes connections whose request does not
 * arrive in time (head or body), and {@code --max-connections} closes connections past the
 * cap. The JDK fixes these when a JVM's first HTTP server starts, so the server runs in a
 * JVM of its own ({@link LimitsServerMain}) with a 2 s timeout and a cap of 4.
 */
@Timeout(90)
class HttpLimitsTest {
    static final int READ_TIMEOUT_SECONDS = 2;
    static final int CAP = 4;
    /** Far longer than the read timeout: a read that gets here means the server kept the connection. */
    static final int CLIENT_WAIT_MS = 30_000;

    @Test
    void slowRequestsAreClosedAndConnectionsPastTheCapAreRefused() throws Exception {
        Process p = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), LimitsServerMain.class.getName(),
                Integer.toString(READ_TIMEOUT_SECONDS), Integer.toString(CAP)))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line = out.readLine();
            assertTrue(line != null && line.startsWith("port "), String.valueOf(line));
            int port = Integer.parseInt(line.substring(5).strip());

            List<Socket> half = new ArrayList<>();
            try {
                for (int i = 0; i < CAP; i++) {
                    half.add(open(port, "POST /v1/compl")); // half a request line, then nothing
                }
                // One past the cap: a whole request, closed unanswered (the JDK accepts and closes it).
                try (Socket over = open(port, "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")) {
                    String answer = readToEnd(over);
                    assertFalse(answer.startsWith("HTTP/"), "answered past the cap: " + answer);
                }
                for (Socket s : half) {
                    assertEquals("", readToEnd(s), "a half-sent request line is closed after --read-timeout");
                }
            } finally {
                for (Socket s : half) {
                    s.close();
                }
            }
            // A head that arrived, a body that does not: closed too, unanswered.
            try (Socket slowBody = open(port, "POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Content-Length: 100\r\n\r\n{\"prompt\"")) {
                String answer = readToEnd(slowBody);
                assertFalse(answer.startsWith("HTTP/1.1 2"), answer);
            }
            // The cap is free again.
            try (Socket health = open(port, "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")) {
                String answer = readToEnd(health);
                assertTrue(answer.startsWith("HTTP/1.1 200"), answer);
            }
        } finally {
            p.getOutputStream().close(); // LimitsServerMain stops
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }

    private static Socket open(int port, String text) throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
        s.setSoTimeout(CLIENT_WAIT_MS);
        OutputStream o = s.getOutputStream();
        o.write(text.getBytes(StandardCharsets.US_ASCII));
        o.flush();
        return s;
    }

    /** What the server sent before it closed the connection ("" for nothing; a reset counts as a close). */
    private static String readToEnd(Socket s) throws IOException {
        StringBuilder got = new StringBuilder();
        InputStream in = s.getInputStream();
        byte[] buffer = new byte[4096];
        try {
            int n;
            while ((n = in.read(buffer)) > 0) {
                got.append(new String(buffer, 0, n, StandardCharsets.ISO_8859_1));
            }
        } catch (SocketException reset) {
            // closed with our bytes unread: a reset
        }
        return got.toString();
    }
}
