package numatp.runtime.plan;

import numatp.topology.NumatpException;

/** No placement satisfies the configuration; the message explains why in terms of nodes, CPUs and bytes. */
public final class PlanException extends NumatpException {
    public PlanException(String message) {
        super(message);
    }
}
