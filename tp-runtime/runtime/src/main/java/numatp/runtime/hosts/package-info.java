/**
 * The hosts layout of an engine ({@code --workers mpi}): one process per shard, started by
 * {@code mpirun} on one or more hosts; each process plans its host's ranks on its own topology,
 * pins its shard there and joins the three-tier communicator (shared memory inside a host, Open
 * MPI between hosts). World rank 0 drives ({@link numatp.runtime.hosts.HostEngine}); the other
 * ranks follow its steps ({@link numatp.runtime.hosts.HostFollower}). A TCP liveness channel beside
 * MPI ({@link numatp.runtime.hosts.LivenessWatch} on rank 0, {@link numatp.runtime.hosts.LivenessBeacon}
 * on the others) names a rank that dies or a host that goes silent, which MPI does not; rank 0 then
 * gives its engine up ({@link numatp.runtime.hosts.AbandonableStep}) and answers with a 503.
 */
package numatp.runtime.hosts;
