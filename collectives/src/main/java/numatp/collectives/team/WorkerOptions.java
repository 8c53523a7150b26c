package numatp.collectives.team;

import numatp.collectives.sync.BackoffIdleStrategy;
import numatp.collectives.sync.BusySpinIdleStrategy;
import numatp.collectives.sync.IdleStrategy;
import numatp.topology.binding.BindMode;
import numatp.topology.binding.BindingOptions;
import numatp.topology.linux.MemPolicy;

/**
 * How a {@link ShardGroup} starts and waits.
 *
 * @param binding how each thread is placed (name, pinning, memory policy)
 * @param idle how a team thread waits for work and the leader for its helpers; each thread gets
 *             its own {@link IdleStrategy#copy()}. Once the strategy reaches its parking phase, a
 *             thread waiting for the next step or fork parks until it is woken, so the strategy
 *             must have one (busy spin would keep every core of an idle server busy)
 */
public record WorkerOptions(BindingOptions binding, IdleStrategy idle) {
    /**
     * The default wait: 64 spins, then 100 yields (tens of microseconds, so back-to-back
     * forks and steps hand over without a wake-up), then parking.
     */
    public static IdleStrategy defaultIdle() {
        return new BackoffIdleStrategy(64, 100, 1_000, 50_000);
    }

    public WorkerOptions {
        if (binding == null || idle == null) {
            throw new IllegalArgumentException("binding and idle must not be null");
        }
        if (idle instanceof BusySpinIdleStrategy) {
            throw new IllegalArgumentException("a team's idle strategy must reach a parking phase: " + idle);
        }
    }

    /** Unpinned workers named {@code tp-shard}. */
    public static WorkerOptions unbound() {
        return new WorkerOptions(BindingOptions.unbound(), defaultIdle());
    }

    /** Pinned workers that prefer their node's memory. */
    public static WorkerOptions bound() {
        return new WorkerOptions(BindingOptions.bound(), defaultIdle());
    }

    public WorkerOptions withMode(BindMode newMode) {
        return new WorkerOptions(binding.withMode(newMode), idle);
    }

    public WorkerOptions withMemoryPolicy(MemPolicy policy) {
        return new WorkerOptions(binding.withMemoryPolicy(policy), idle);
    }

    public WorkerOptions withIdle(IdleStrategy strategy) {
        return new WorkerOptions(binding, strategy);
    }
}
