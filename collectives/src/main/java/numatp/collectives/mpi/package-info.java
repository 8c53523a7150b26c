/**
 * Open MPI through the FFM API, for the cross-host tier: the native calls behind
 * {@link numatp.collectives.mpi.MpiLibrary}, a process's MPI session with its host layout
 * ({@link numatp.collectives.mpi.MpiSession}), and a communicator over an MPI communicator
 * with a fixed reduction order ({@link numatp.collectives.mpi.MpiCommunicator}).
 */
package numatp.collectives.mpi;
