package numatp.runtime.plan;

import numatp.runtime.config.NumaTensorParallelConfig;
import numatp.topology.IdSet;
import numatp.topology.NumaNode;
import numatp.topology.Topology;

import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The properties every layout must have, checked against the machine it was planned for. */
final class ReplicaPlanInvariants {
    private ReplicaPlanInvariants() {
    }

    static void check(Topology topology, NumaTensorParallelConfig config, ModelProfile model, ReplicaPlan plan,
                      String context) {
        int r = plan.replicaCount();
        int k = plan.shardsPerReplica();
        assertEquals(r, plan.chosen().replicas(), context);
        assertEquals(k, plan.chosen().shardsPerReplica(), context);
        if (!config.autoReplicas()) {
            assertEquals(config.replicas(), r, "--replicas N gives N replicas: " + context);
            assertEquals(config.shards(), k, "--replicas N keeps --shards: " + context);
        } else {
            assertTrue(r == 1 || r <= config.expectedConcurrencyOr(1), "auto: no more replicas than requests: " + context);
        }
        assertFalse(plan.reasons().isEmpty(), context);
        IdSet cpusSeen = IdSet.empty();
        IdSet nodesSeen = IdSet.empty();
        boolean nodesShared = false;
        Map<Integer, Long> budgetByNode = new HashMap<>();
        for (int i = 0; i < r; i++) {
            PlacementPlan replica = plan.replica(i);
            String where = context + " replica " + i;
            assertEquals(k, replica.shards().size(), "every replica has K shards: " + where);
            assertEquals(1, replica.config().replicas(), where);
            PlanInvariants.check(topology, replica, where);
            IdSet cpus = IdSet.empty();
            for (ShardPlacement shard : replica.shards()) {
                cpus = cpus.union(shard.cpus());
            }
            assertFalse(cpusSeen.intersects(cpus), "replicas never share a CPU: " + where);
            cpusSeen = cpusSeen.union(cpus);
            IdSet used = IdSet.of(replica.usedNodes().stream().mapToInt(NodeBudget::id).toArray());
            nodesShared |= nodesSeen.intersects(used);
            nodesSeen = nodesSeen.union(used);
            for (NodeBudget node : replica.usedNodes()) {
                budgetByNode.merge(node.id(), node.memoryBudgetBytes(), Long::sum);
            }
        }
        assertEquals(plan.chosen().splitsNodes(), nodesShared,
                "replicas share nodes exactly when the layout splits nodes (else each has its own): " + context);
        if (config.preferLocalMemory() && model.sizeKnown()) {
            for (Map.Entry<Integer, Long> e : budgetByNode.entrySet()) {
                NumaNode node = topology.complete().node(e.getKey());
                long free = topology.allowedNodes().contains(node.id()) ? node.memFreeBytes() : 0;
                assertTrue(e.getValue() <= free, "node " + node.id() + " holds what all its replicas need ("
                        + e.getValue() + " of " + free + " B free): " + context);
            }
        }
        assertNotNull(plan.chosen(), context);
        assertTrue(plan.chosen().tokensPerSecond() > 0 && plan.chosen().batchOneTokensPerSecond() > 0, context);
    }
}
