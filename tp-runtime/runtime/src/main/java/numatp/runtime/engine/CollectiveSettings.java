package numatp.runtime.engine;

import numatp.collectives.Algorithm;
import numatp.collectives.CommunicatorConfig;
import numatp.collectives.sync.BackoffIdleStrategy;
import numatp.collectives.sync.BusySpinIdleStrategy;
import numatp.runtime.config.NumaTensorParallelConfig;

/** The communicator settings a {@link NumaTensorParallelConfig} asks for. */
public final class CollectiveSettings {
    private CollectiveSettings() {
    }

    /** Algorithm, timeout and idle strategy from {@code config} ({@code auto} idle: chosen by ranks per CPU). */
    public static CommunicatorConfig of(NumaTensorParallelConfig config) {
        CommunicatorConfig c = CommunicatorConfig.defaults()
                .withAlgorithm(algorithm(config))
                .withTimeoutNs(config.collectiveTimeout().toNanos());
        return switch (config.idleStrategy()) {
            case AUTO -> c;
            case BUSY_SPIN -> c.withIdle(new BusySpinIdleStrategy());
            case BACKOFF -> c.withIdle(new BackoffIdleStrategy(20, 50, 1_000, 200_000));
        };
    }

    static Algorithm algorithm(NumaTensorParallelConfig config) {
        return switch (config.collectiveAlgorithm()) {
            case AUTO -> Algorithm.AUTO;
            case HIERARCHICAL -> Algorithm.HIERARCHICAL;
            case RING -> Algorithm.RING;
            case ONESHOT -> Algorithm.ONESHOT;
        };
    }
}
