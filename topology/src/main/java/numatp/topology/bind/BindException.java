package numatp.topology.bind;

import numatp.topology.NumatpException;

/** A binding policy, config file or /proc tree that cannot be planned from; the message names the field or file. */
public class BindException extends NumatpException {
    public BindException(String message) {
        super(message);
    }

    public BindException(String message, Throwable cause) {
        super(message, cause);
    }
}
