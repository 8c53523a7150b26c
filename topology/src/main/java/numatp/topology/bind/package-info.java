/**
 * {@code tp bind}: plan, apply and verify the CPU and memory binding of processes numatp does not
 * start itself (process groups per socket, forward threads on the socket's second node, other
 * services on one socket), read from a procfs root so plans can be made for captured machines.
 */
package numatp.topology.bind;
