package numatp.runtime.config;

/** Allreduce algorithm; {@code auto} picks by message size and the nodes in use. */
public enum CollectiveAlgorithmKind {
    AUTO,
    HIERARCHICAL,
    RING,
    ONESHOT
}
