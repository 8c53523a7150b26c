/**
 * Reading llama2.c checkpoints ({@code .bin}: a header of int32 sizes, then f32 tensors).
 */
package numatp.weights.llama2c;
