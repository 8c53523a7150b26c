package numatp.models;

import numatp.topology.NumatpException;

/** A model that cannot run as asked: bad shape, unusable shard count, bad prompt or sampling settings. */
public class ModelException extends NumatpException {
    public ModelException(String message) {
        super(message);
    }

    public ModelException(String message, Throwable cause) {
        super(message, cause);
    }
}
