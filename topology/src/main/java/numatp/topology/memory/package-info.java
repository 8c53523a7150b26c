/**
 * Off-heap memory placed on a NUMA node: {@link numatp.topology.memory.NodeMemory} maps it,
 * applies a memory policy, optionally huge pages and first touch by a thread on the node, and
 * falls back step by step (strict → preferred → interleaved → plain) when placement fails,
 * recording what was actually obtained.
 */
package numatp.topology.memory;
