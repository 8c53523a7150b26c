/**
 * Worker processes of a process-transport group: launching ranks ({@link numatp.collectives.process.RankLauncher}),
 * dying with the launcher ({@link numatp.collectives.process.WorkerLifetime}), telling a dead peer from a slow one
 * ({@link numatp.collectives.process.ProcessLiveness}) and naming how a worker ended ({@link numatp.collectives.process.WorkerExit}).
 */
package numatp.collectives.process;
