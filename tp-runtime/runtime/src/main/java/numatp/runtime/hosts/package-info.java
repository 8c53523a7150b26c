/**
 * The hosts layout of an engine ({@code --workers mpi}): processes started by {@code mpirun} on
 * one or more hosts, each holding the same number of consecutive shards as thread teams
 * ({@link numatp.runtime.hosts.RankShards}); each process plans its host's shards on its own
 * topology, pins its own there and joins the three-tier communicator (shared memory inside a
 * host, Open MPI between hosts). World rank 0 drives ({@link numatp.runtime.hosts.HostEngine});
 * the other ranks follow its steps ({@link numatp.runtime.hosts.HostFollower}). A TCP liveness channel beside
 * MPI ({@link numatp.runtime.hosts.LivenessWatch} on rank 0, {@link numatp.runtime.hosts.LivenessBeacon}
 * on the others) names a rank that dies or a host that goes silent, which MPI does not; rank 0 then
 * gives its engine up ({@link numatp.runtime.hosts.AbandonableStep}) and answers with a 503.
 */
package numatp.runtime.hosts;
