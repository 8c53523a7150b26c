package numatp.server;

import numatp.topology.NumatpException;

/** A serving failure the user can act on: bad server settings, a model that cannot be served. */
public class ServeException extends NumatpException {
    public ServeException(String message) {
        super(message);
    }

    public ServeException(String message, Throwable cause) {
        super(message, cause);
    }
}
