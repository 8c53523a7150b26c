/**
 * Collectives over shared off-heap memory (allreduce, allgather, reduce-scatter, broadcast, barrier): a ring inside each NUMA node and a tree or slice exchange across nodes, for threads of one process and for processes sharing /dev/shm.
 */
package numatp.collectives;
