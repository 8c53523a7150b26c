package numatp.collectives;

import numatp.topology.NumatpException;

/** A collective that could not complete: a peer timed out, the group was aborted, or ranks disagreed. */
public class CollectiveException extends NumatpException {
    public CollectiveException(String message) {
        super(message);
    }

    public CollectiveException(String message, Throwable cause) {
        super(message, cause);
    }
}
