package numatp.server;

import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/** Random ids: response ids, and error ids that tie a client's error to the server log. */
final class Ids {
    private Ids() {
    }

    /** {@code bytes} random bytes as lower-case hex. */
    static String hex(int bytes) {
        byte[] b = new byte[bytes];
        ThreadLocalRandom.current().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /** An id for one logged error (8 hex digits). */
    static String error() {
        return hex(4);
    }
}
