package numatp.server;

/** A submitted sequence, as its request handler sees it. */
public interface Generation {
    /** Stops generating and frees the slot at the next step boundary; idempotent, any thread. */
    void cancel();
}
