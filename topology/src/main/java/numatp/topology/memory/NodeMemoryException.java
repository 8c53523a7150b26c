package numatp.topology.memory;

import numatp.topology.NumatpException;

/** Memory cannot be allocated as asked, even after the fallbacks allowed; the message says why. */
public class NodeMemoryException extends NumatpException {
    public NodeMemoryException(String message) {
        super(message);
    }

    public NodeMemoryException(String message, Throwable cause) {
        super(message, cause);
    }
}
