package numatp.topology.doctor;

import numatp.topology.IdSet;
import numatp.topology.Topology;
import numatp.topology.linux.KernelFiles;

/**
 * What every check may look at: the files under the root, the topology read from them,
 * the CPUs and nodes the plan would use, and the CPU time samples.
 *
 * @param files        sysfs/procfs under the root ({@code /} or a capture)
 * @param topology     the machine read from the same root
 * @param plannedCpus  the CPUs the plan pins shard threads to
 * @param plannedNodes the nodes that host shards
 * @param shards       the number of shards
 * @param selfPid      this process, left out of the busy processes; -1 for a capture
 * @param samples      CPU time samples an interval apart (maybe none)
 */
public record DoctorInput(KernelFiles files, Topology topology, IdSet plannedCpus, IdSet plannedNodes, int shards,
                          long selfPid, Samples samples) {
    public DoctorInput {
        if (files == null || topology == null || plannedCpus == null || plannedNodes == null || samples == null) {
            throw new IllegalArgumentException("doctor input needs files, topology, planned CPUs/nodes and samples");
        }
        if (shards < 1) {
            throw new IllegalArgumentException("shards must be >= 1: " + shards);
        }
    }
}
