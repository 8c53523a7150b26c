package numatp.weights;

import numatp.topology.NumatpException;

/** A checkpoint that cannot be read or sliced: says which file, tensor or key, and at which offset. */
public class WeightsException extends NumatpException {
    public WeightsException(String message) {
        super(message);
    }

    public WeightsException(String message, Throwable cause) {
        super(message, cause);
    }
}
