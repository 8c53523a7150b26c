package numatp.runtime.config;

/** How shard threads wait in collectives: {@code auto} busy-spins only when every thread has its own core. */
public enum IdleStrategyKind {
    AUTO,
    BACKOFF,
    BUSY_SPIN
}
