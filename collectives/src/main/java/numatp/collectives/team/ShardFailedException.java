package numatp.collectives.team;

import numatp.topology.NumatpException;

/** A shard's task failed; the step was aborted on every shard. */
public final class ShardFailedException extends NumatpException {
    private final int shard;

    public ShardFailedException(int shard, Throwable cause) {
        super((shard < 0 ? "step" : "shard " + shard) + " failed: " + describe(cause), cause);
        this.shard = shard;
    }

    /** The shard whose task failed first, or -1 when the step was aborted from outside (an interrupt). */
    public int shard() {
        return shard;
    }

    private static String describe(Throwable t) {
        String message = t.getMessage();
        return message == null ? t.getClass().getSimpleName() : message;
    }
}
