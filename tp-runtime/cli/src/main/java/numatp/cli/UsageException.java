package numatp.cli;

import numatp.topology.NumatpException;

/**
 * A flag or argument the command cannot use (bad value, unknown node, unreadable
 * file named on the command line). The CLI exits with {@link TpMain#EXIT_USAGE}.
 */
public final class UsageException extends NumatpException {
    public UsageException(String message) {
        super(message);
    }

    public UsageException(String message, Throwable cause) {
        super(message, cause);
    }
}
