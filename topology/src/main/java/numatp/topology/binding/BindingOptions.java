package numatp.topology.binding;

import numatp.topology.linux.MemPolicy;

/**
 * How a {@link PinnedThreadFactory} places the threads it starts.
 *
 * @param namePrefix thread names are {@code <prefix>-<shard>-<thread>}
 * @param mode whether threads are pinned
 * @param memoryPolicy the memory policy for a pinned thread's node: {@code PREFERRED} (spill when full),
 *                     {@code BIND} (strict), or {@code DEFAULT} (leave the policy alone)
 */
public record BindingOptions(String namePrefix, BindMode mode, MemPolicy memoryPolicy) {
    public BindingOptions {
        if (namePrefix == null || namePrefix.isBlank()) {
            throw new IllegalArgumentException("namePrefix must not be blank");
        }
        if (mode == null || memoryPolicy == null) {
            throw new IllegalArgumentException("mode and memoryPolicy must not be null");
        }
    }

    /** Unpinned threads named {@code tp-shard}. */
    public static BindingOptions unbound() {
        return new BindingOptions("tp-shard", BindMode.NONE, MemPolicy.DEFAULT);
    }

    /** Pinned threads that prefer their node's memory. */
    public static BindingOptions bound() {
        return new BindingOptions("tp-shard", BindMode.BIND, MemPolicy.PREFERRED);
    }

    public BindingOptions withMode(BindMode newMode) {
        return new BindingOptions(namePrefix, newMode, memoryPolicy);
    }

    public BindingOptions withMemoryPolicy(MemPolicy policy) {
        return new BindingOptions(namePrefix, mode, policy);
    }
}
