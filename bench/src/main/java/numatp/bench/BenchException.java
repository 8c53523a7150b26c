package numatp.bench;

import numatp.topology.NumatpException;

/** A benchmark that cannot run as asked: a bad parameter or missing input data. */
public final class BenchException extends NumatpException {
    public BenchException(String message) {
        super(message);
    }
}
