/**
 * Checkpoint formats (GGUF, llama2.c), tensor slicing rules (replicate, split rows, split columns) and copying slices into memory bound to the owning shard's NUMA node.
 */
package numatp.weights;
