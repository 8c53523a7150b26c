package numatp.topology.binding;

import numatp.topology.IdSet;
import numatp.topology.linux.MemPolicy;

/**
 * What binding one worker thread achieved, checked from inside the thread.
 *
 * @param shard the shard
 * @param thread the thread's index in the shard's team (0 is the leader)
 * @param wantedNode the node the plan put the shard on
 * @param wantedCpus the CPUs the thread was to be pinned to (empty when unpinned)
 * @param affinity the thread's affinity after binding ({@code sched_getaffinity})
 * @param seenCpu the CPU {@code getcpu} reported after binding, -1 when unknown
 * @param seenNode the node {@code getcpu} reported, -1 when unknown
 * @param memoryPolicy the memory policy in force for the thread
 * @param status the verdict
 * @param note why, when the status is not {@link Status#BOUND}
 */
public record WorkerOutcome(int shard, int thread, int wantedNode, IdSet wantedCpus, IdSet affinity, int seenCpu,
                            int seenNode, MemPolicy memoryPolicy, Status status, String note) {
    /** The verdict on one thread. */
    public enum Status {
        /** Pinned, and getcpu agrees with the plan. */
        BOUND,
        /** Pinned, but getcpu saw another CPU or node (or the memory policy was refused). */
        MISMATCH,
        /** Binding was not attempted (simulated topology, or switched off). */
        SKIPPED
    }

    /** "match", "mismatch" or "skipped": the word start-up reports print. */
    public String verdict() {
        return switch (status) {
            case BOUND -> "match";
            case MISMATCH -> "mismatch";
            case SKIPPED -> "skipped";
        };
    }
}
