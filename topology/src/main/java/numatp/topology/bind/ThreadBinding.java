package numatp.topology.bind;

import numatp.topology.IdSet;

/** One thread's wanted CPUs; {@code forward} when its name matched a forward-thread pattern. */
public record ThreadBinding(int tid, String comm, boolean forward, int node, IdSet cpus) {
}
