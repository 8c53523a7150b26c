package numatp.cli.bench.serve;

import numatp.topology.NumatpException;

/** The benchmark cannot go on: the server is unreachable, is not OpenAI-compatible, or refuses every request. */
public final class ServeBenchException extends NumatpException {
    public ServeBenchException(String message) {
        super(message);
    }

    public ServeBenchException(String message, Throwable cause) {
        super(message, cause);
    }
}
