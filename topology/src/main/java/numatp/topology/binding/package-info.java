/**
 * Binding threads (and the whole process) to CPUs and NUMA nodes, and asking where the calling
 * thread runs. Takes node ids and CPU sets as inputs; the topology-aware façade that picks CPUs
 * for a shard calls these primitives.
 */
package numatp.topology.binding;
