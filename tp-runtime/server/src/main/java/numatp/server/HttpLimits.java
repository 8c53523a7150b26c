package numatp.server;

/**
 * {@code --read-timeout} and {@code --max-connections}, handed to the JDK's HttpServer
 * through the system properties it reads (JDK 25, {@code sun.net.httpserver.ServerConfig}):
 *
 * <ul>
 * <li>{@code sun.net.httpserver.maxReqTime} (seconds): a connection still receiving its
 *     request (head or body) that long after the first byte is closed. It also bounds how
 *     long a new connection may stay silent (the lesser of this and {@code idleInterval}).
 * <li>{@code jdk.httpserver.maxConnections}: past this many open connections a new one is
 *     accepted and closed at once, before a byte is read (the JDK does not answer it, so
 *     neither can we: the client sees the connection close, not a 503).
 * <li>{@code sun.net.httpserver.clockTick} (ms): how often silent new and idle keep-alive
 *     connections are checked; 1 s instead of 10 s, so the read timeout holds to a second.
 * </ul>
 *
 * {@code sun.net.httpserver.maxRspTime} is left unset: it would cut off a long generation.
 * The JDK reads these once, when the first server of the JVM starts; so the first
 * {@link ApiServer} decides, and a later one that asks for other values gets a warning.
 */
final class HttpLimits {
    private static final System.Logger LOG = System.getLogger(HttpLimits.class.getName());
    static final String MAX_REQ_TIME = "sun.net.httpserver.maxReqTime";
    static final String MAX_CONNECTIONS = "jdk.httpserver.maxConnections";
    static final String CLOCK_TICK = "sun.net.httpserver.clockTick";
    private static final long CLOCK_TICK_MS = 1000;

    private static String applied; // guarded by HttpLimits.class: the values the JDK took

    private HttpLimits() {
    }

    /** Sets the properties from {@code config} unless a server of this JVM already fixed them. */
    static synchronized void apply(ServeConfig config) {
        String wanted = describe(config.readTimeout().toSeconds(), config.maxConnections());
        if (applied == null) {
            System.setProperty(MAX_REQ_TIME, Long.toString(config.readTimeout().toSeconds()));
            System.setProperty(MAX_CONNECTIONS, Integer.toString(config.maxConnections()));
            System.setProperty(CLOCK_TICK, Long.toString(CLOCK_TICK_MS));
            applied = wanted;
        } else if (!applied.equals(wanted)) {
            LOG.log(System.Logger.Level.WARNING, "this JVM's HTTP server limits were fixed by its first server ("
                    + applied + "); asked for " + wanted + ", which the JDK cannot change any more");
        }
    }

    private static String describe(long readTimeoutSeconds, int maxConnections) {
        return "--read-timeout " + readTimeoutSeconds + ", --max-connections " + maxConnections;
    }
}
