/**
 * The hosts layout of an engine ({@code --workers mpi}): one process per shard, started by
 * {@code mpirun} on one or more hosts; each process plans its host's ranks on its own topology,
 * pins its shard there and joins the three-tier communicator (shared memory inside a host, Open
 * MPI between hosts). World rank 0 drives ({@link numatp.runtime.hosts.HostEngine}); the other
 * ranks follow its steps ({@link numatp.runtime.hosts.HostFollower}).
 */
package numatp.runtime.hosts;
