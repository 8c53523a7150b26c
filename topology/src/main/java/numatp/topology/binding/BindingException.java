package numatp.topology.binding;

import numatp.topology.NumatpException;

/**
 * A thread or process cannot be bound as asked: an unknown node, a node without CPUs, CPUs the
 * process may not use. The message names the node/CPUs asked for and what is available.
 */
public class BindingException extends NumatpException {
    public BindingException(String message) {
        super(message);
    }

    public BindingException(String message, Throwable cause) {
        super(message, cause);
    }
}
