package numatp.collectives.team;

import numatp.topology.binding.BindMode;
import numatp.topology.binding.BindingOptions;
import numatp.topology.linux.MemPolicy;

/**
 * How a {@link ShardGroup} starts and waits.
 *
 * @param binding how each thread is placed (name, pinning, memory policy)
 * @param spinNanos how long an idle worker (and a waiting caller) spins before it parks; spinning
 *                  keeps step handoff in the microseconds, parking gives the core back
 */
public record WorkerOptions(BindingOptions binding, long spinNanos) {
    public WorkerOptions {
        if (binding == null) {
            throw new IllegalArgumentException("binding must not be null");
        }
        if (spinNanos < 0) {
            throw new IllegalArgumentException("spinNanos must be >= 0: " + spinNanos);
        }
    }

    /** Unpinned workers named {@code tp-shard}, spinning 50 µs before parking. */
    public static WorkerOptions unbound() {
        return new WorkerOptions(BindingOptions.unbound(), 50_000);
    }

    /** Pinned workers that prefer their node's memory. */
    public static WorkerOptions bound() {
        return new WorkerOptions(BindingOptions.bound(), 50_000);
    }

    public WorkerOptions withMode(BindMode newMode) {
        return new WorkerOptions(binding.withMode(newMode), spinNanos);
    }

    public WorkerOptions withMemoryPolicy(MemPolicy policy) {
        return new WorkerOptions(binding.withMemoryPolicy(policy), spinNanos);
    }

    public WorkerOptions withSpinNanos(long nanos) {
        return new WorkerOptions(binding, nanos);
    }
}
