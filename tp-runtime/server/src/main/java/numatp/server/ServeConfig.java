package numatp.server;

import java.time.Duration;

/**
 * Settings of the HTTP side of {@code tp serve}, validated here; the message names the flag.
 *
 * @param host            address to bind ({@code --host}); 127.0.0.1 unless the user says otherwise
 * @param port            TCP port ({@code --port}); 0 picks a free one
 * @param maxQueue        requests that may wait for a slot ({@code --max-queue}); more get 429
 * @param maxRequestBytes largest request body ({@code --max-request-bytes}); more gets 413
 * @param shutdownGrace   how long in-flight requests may run on after SIGTERM ({@code --shutdown-timeout})
 * @param readTimeout     how long a request's head and body may take to arrive, from its first byte; a
 *                        connection that sends nothing is closed after it too ({@code --read-timeout};
 *                        whole seconds, the JDK's HttpServer counts in seconds)
 * @param maxConnections  open connections at most ({@code --max-connections}); one more is closed at once
 * @param modelId         the model id of {@code /v1/models} and of every response
 */
public record ServeConfig(String host, int port, int maxQueue, int maxRequestBytes, Duration shutdownGrace,
                          Duration readTimeout, int maxConnections, String modelId) {
    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 8080;
    public static final int DEFAULT_MAX_QUEUE = 64;
    public static final int DEFAULT_MAX_REQUEST_BYTES = 1 << 20;
    public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(30);
    public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(30);
    public static final int DEFAULT_MAX_CONNECTIONS = 1024;
    /** A day: longer than any client needs to send a request, short enough to stay a timeout. */
    public static final Duration MAX_READ_TIMEOUT = Duration.ofDays(1);

    public ServeConfig {
        if (host == null || host.isBlank()) {
            throw new ServeException("--host must not be empty");
        }
        if (port < 0 || port > 65535) {
            throw new ServeException("--port must be in [0, 65535]: " + port);
        }
        if (maxQueue < 1) {
            throw new ServeException("--max-queue must be >= 1: " + maxQueue);
        }
        if (maxRequestBytes < 1024) {
            throw new ServeException("--max-request-bytes must be >= 1024: " + maxRequestBytes);
        }
        if (shutdownGrace.isNegative()) {
            throw new ServeException("--shutdown-timeout must be >= 0: " + shutdownGrace.toSeconds());
        }
        if (readTimeout.compareTo(Duration.ofSeconds(1)) < 0 || readTimeout.compareTo(MAX_READ_TIMEOUT) > 0
                || readTimeout.toNanosPart() != 0) {
            throw new ServeException("--read-timeout must be whole seconds in [1, " + MAX_READ_TIMEOUT.toSeconds()
                    + "]: " + readTimeout.toMillis() / 1000.0);
        }
        if (maxConnections < 1) {
            throw new ServeException("--max-connections must be >= 1: " + maxConnections);
        }
        if (modelId == null || modelId.isBlank()) {
            throw new ServeException("the model id must not be empty");
        }
    }

    /** Default read timeout and connection cap. */
    public ServeConfig(String host, int port, int maxQueue, int maxRequestBytes, Duration shutdownGrace,
                       String modelId) {
        this(host, port, maxQueue, maxRequestBytes, shutdownGrace, DEFAULT_READ_TIMEOUT, DEFAULT_MAX_CONNECTIONS,
                modelId);
    }

    /** Defaults for {@code modelId}, listening on {@code port}. */
    public static ServeConfig defaults(String modelId, int port) {
        return new ServeConfig(DEFAULT_HOST, port, DEFAULT_MAX_QUEUE, DEFAULT_MAX_REQUEST_BYTES,
                DEFAULT_SHUTDOWN_GRACE, modelId);
    }

    public ServeConfig withMaxQueue(int value) {
        return new ServeConfig(host, port, value, maxRequestBytes, shutdownGrace, readTimeout, maxConnections,
                modelId);
    }

    public ServeConfig withMaxRequestBytes(int value) {
        return new ServeConfig(host, port, maxQueue, value, shutdownGrace, readTimeout, maxConnections, modelId);
    }

    public ServeConfig withShutdownGrace(Duration value) {
        return new ServeConfig(host, port, maxQueue, maxRequestBytes, value, readTimeout, maxConnections, modelId);
    }

    public ServeConfig withReadTimeout(Duration value) {
        return new ServeConfig(host, port, maxQueue, maxRequestBytes, shutdownGrace, value, maxConnections, modelId);
    }

    public ServeConfig withMaxConnections(int value) {
        return new ServeConfig(host, port, maxQueue, maxRequestBytes, shutdownGrace, readTimeout, value, modelId);
    }
}
