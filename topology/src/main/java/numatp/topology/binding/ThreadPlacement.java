package numatp.topology.binding;

import numatp.topology.IdSet;
import numatp.topology.linux.MemPolicy;

/**
 * What a bind call did for one thread.
 *
 * @param node the node bound to, or -1 when only CPUs were pinned
 * @param cpus the CPUs the thread may now run on
 * @param memoryPolicy the thread's memory policy after the call ({@code DEFAULT} when not set)
 * @param note why the memory policy was not applied; empty when it was (or was not asked for)
 */
public record ThreadPlacement(int node, IdSet cpus, MemPolicy memoryPolicy, String note) {
}
