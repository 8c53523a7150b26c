package numatp.collectives.sync;

/**
 * How a rank waits for a peer's flag. Called in a loop: {@link #idle()} once per
 * unsuccessful poll, {@link #reset()} when the wait starts. Implementations keep
 * their state in fields (one instance per waiting thread) and never allocate.
 */
public interface IdleStrategy {
    /** One unsuccessful poll: spin, yield or park according to how long this wait has lasted. */
    void idle();

    /** A new wait begins. */
    void reset();

    /**
     * The peer this wait is for last ran on the caller's CPU: spinning would only keep it off
     * that CPU, so this wait starts at the yield phase. Called right after {@link #reset()}.
     */
    void yieldFirst();

    /** True once this wait has reached the parking phase (used to throttle slow checks). */
    boolean parking();

    /** A fresh instance with the same settings, for another thread. */
    IdleStrategy copy();

    /**
     * The default for {@code ranks} waiters on {@code cpus} processors: busy spin only when
     * every rank has its own core, otherwise back off quickly so peers get the CPU.
     */
    static IdleStrategy forRanks(int ranks, int cpus) {
        if (ranks <= cpus - 1) {
            return new BusySpinIdleStrategy();
        }
        if (ranks <= cpus) {
            // Yield long before parking: on a busy machine the peer is usually runnable but
            // queued, and a park costs a timer-slack wake-up (~50-150 us) per call.
            return new BackoffIdleStrategy(1_000, 50_000, 1_000, 200_000);
        }
        // Oversubscribed: a spinning waiter steals the core of the peer it waits for.
        return new BackoffIdleStrategy(20, 50, 1_000, 200_000);
    }
}
