/**
 * Turning logits into the next token: greedy, temperature and top-p sampling with a per-request seed.
 */
package numatp.models.sampling;
