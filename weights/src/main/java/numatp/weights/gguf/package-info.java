/**
 * Reading and writing GGUF files: metadata, tensor infos, memory-mapped tensor data.
 */
package numatp.weights.gguf;
