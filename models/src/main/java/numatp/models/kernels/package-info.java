/**
 * Vector API kernels of the forward pass (matVec for decode, matMul for batched entries, attention,\n * norms, activations), each with a plainly written scalar twin the tests compare it against.
 */
package numatp.models.kernels;
