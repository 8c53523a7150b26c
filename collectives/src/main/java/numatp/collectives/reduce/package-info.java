/** Element-wise sum and conversion kernels (Vector API with scalar tails) used by the collectives. */
package numatp.collectives.reduce;
