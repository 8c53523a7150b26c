package numatp.runtime.plan;

import numatp.topology.IdSet;

/**
 * What the plan asks of one candidate node.
 *
 * @param id                the node
 * @param shards            the shards placed on it (consecutive ranks unless affinity says otherwise)
 * @param cores             allowed physical cores on the node
 * @param memoryBudgetBytes the memory its shards need (slices + KV caches + one replica)
 * @param memFreeBytes      the node's free memory when the plan was made
 */
public record NodeBudget(int id, IdSet shards, int cores, long memoryBudgetBytes, long memFreeBytes) {
    public boolean fits() {
        return memoryBudgetBytes <= memFreeBytes;
    }
}
