/**
 * Communicators over shared memory: the off-heap layouts, the epoch protocol, the allreduce
 * algorithms, and the two transports (threads of one process, processes over /dev/shm).
 */
package numatp.collectives.shm;
