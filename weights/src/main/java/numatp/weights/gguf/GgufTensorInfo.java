package numatp.weights.gguf;

import numatp.weights.TensorType;

/**
 * A tensor as the GGUF header describes it: {@code dims[0]} is the fastest-varying
 * (row length), so a 2-D tensor is [dims[1] rows, dims[0] columns]. {@code offset} is
 * relative to the aligned start of the data section.
 */
public record GgufTensorInfo(String name, long[] dims, TensorType type, long offset, long sizeBytes) {
    public long elements() {
        long n = 1;
        for (long d : dims) {
            n *= d;
        }
        return n;
    }
}
