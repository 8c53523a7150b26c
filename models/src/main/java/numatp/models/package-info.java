/**
 * Llama-family forward pass for one tensor-parallel shard, Vector API kernels with scalar twins, the tokenizer and sampling.
 */
package numatp.models;
