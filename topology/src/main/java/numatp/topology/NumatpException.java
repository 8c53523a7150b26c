package numatp.topology;

/**
 * Root of every exception numatp throws on purpose. Its message is written for the
 * user: what was expected, what was found, and where (file, offset, flag). The CLI
 * prints it as one {@code error: ...} line; anything else that escapes is a bug.
 *
 * <p>It lives in the lowest module so that every module can extend it.
 */
public class NumatpException extends RuntimeException {
    public NumatpException(String message) {
        super(message);
    }

    public NumatpException(String message, Throwable cause) {
        super(message, cause);
    }
}
