/**
 * The tensor-parallel forward pass: per-shard weights and their split rules, the per-shard forward,\n * and the batched {@link numatp.models.tp.TpEngine} with KV slots whose output never depends on\n * the shard count or the batch.
 */
package numatp.models.tp;
