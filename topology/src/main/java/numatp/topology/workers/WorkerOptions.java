package numatp.topology.workers;

import numatp.topology.linux.MemPolicy;

/**
 * How a {@link ShardGroup} starts and waits.
 *
 * @param namePrefix thread names are {@code <prefix>-<shard>-<thread>}
 * @param mode whether threads are pinned
 * @param memoryPolicy the memory policy for a pinned thread's node: {@code PREFERRED} (spill when full),
 *                     {@code BIND} (strict), or {@code DEFAULT} (leave the policy alone)
 * @param spinNanos how long an idle worker (and a waiting caller) spins before it parks; spinning
 *                  keeps step handoff in the microseconds, parking gives the core back
 */
public record WorkerOptions(String namePrefix, BindMode mode, MemPolicy memoryPolicy, long spinNanos) {
    public WorkerOptions {
        if (namePrefix == null || namePrefix.isBlank()) {
            throw new IllegalArgumentException("namePrefix must not be blank");
        }
        if (mode == null || memoryPolicy == null) {
            throw new IllegalArgumentException("mode and memoryPolicy must not be null");
        }
        if (spinNanos < 0) {
            throw new IllegalArgumentException("spinNanos must be >= 0: " + spinNanos);
        }
    }

    /** Unpinned workers named {@code tp-shard}, spinning 50 µs before parking. */
    public static WorkerOptions unbound() {
        return new WorkerOptions("tp-shard", BindMode.NONE, MemPolicy.DEFAULT, 50_000);
    }

    /** Pinned workers that prefer their node's memory. */
    public static WorkerOptions bound() {
        return new WorkerOptions("tp-shard", BindMode.BIND, MemPolicy.PREFERRED, 50_000);
    }

    public WorkerOptions withMode(BindMode newMode) {
        return new WorkerOptions(namePrefix, newMode, memoryPolicy, spinNanos);
    }

    public WorkerOptions withMemoryPolicy(MemPolicy policy) {
        return new WorkerOptions(namePrefix, mode, policy, spinNanos);
    }

    public WorkerOptions withSpinNanos(long nanos) {
        return new WorkerOptions(namePrefix, mode, memoryPolicy, nanos);
    }
}
