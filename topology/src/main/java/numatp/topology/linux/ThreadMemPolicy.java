package numatp.topology.linux;

import numatp.topology.IdSet;

/** A thread's default memory policy as {@code get_mempolicy(2)} reports it. */
public record ThreadMemPolicy(MemPolicy mode, IdSet nodes) {
}
