/**
 * The Linux NUMA system calls numatp needs (affinity, getcpu, memory policy, page residency,
 * anonymous mappings), behind {@link numatp.topology.linux.LinuxNuma}: a JNA implementation over
 * libc and a no-op fallback. Likewise the parent-death signal of worker processes, behind
 * {@link numatp.topology.linux.ProcessLifetime}. Nothing outside this package sees a JNA type. Also the few kernel
 * files the native layer itself needs (possible CPUs and nodes, a node's CPUs and free memory),
 * read by {@link numatp.topology.linux.KernelFiles}.
 */
package numatp.topology.linux;
