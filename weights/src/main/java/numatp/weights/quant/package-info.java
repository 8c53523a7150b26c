/**
 * Block layouts of ggml's quantised tensor types beyond Q8_0/Q4_0: one {@code *Layout}
 * class per type with the block geometry as named offset constants and a plain scalar
 * decoder of one element, written from the format description (the reference semantics
 * the kernels are tested against).
 */
package numatp.weights.quant;
