package numatp.runtime.plan;

import numatp.topology.IdSet;
import numatp.topology.NumaNode;
import numatp.topology.Topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The properties every plan must have, checked against its topology. */
final class PlanInvariants {
    private PlanInvariants() {
    }

    static void check(Topology topology, PlacementPlan plan, String context) {
        int shards = plan.config().shards();
        assertEquals(shards, plan.shards().size(), "one placement per shard: " + context);
        IdSet usable = IdSet.of(topology.complete().nodes().stream()
                .filter(n -> n.cpus().intersects(topology.allowedCpus())).mapToInt(NumaNode::id).toArray());
        IdSet seenRanks = IdSet.empty();
        for (NodeBudget node : plan.nodes()) {
            assertTrue(usable.contains(node.id()), "only allowed nodes with CPUs: " + context);
            assertFalse(seenRanks.intersects(node.shards()), "each shard on one node: " + context);
            seenRanks = seenRanks.union(node.shards());
            if (plan.config().nodeAffinity().isEmpty() && !node.shards().isEmpty()) {
                assertEquals(node.shards().size(), node.shards().last() - node.shards().first() + 1,
                        "consecutive ranks per node " + node.id() + ": " + context);
            }
        }
        assertEquals(IdSet.range(0, shards - 1), seenRanks, "every shard placed exactly once: " + context);
        IdSet claimed = IdSet.empty();
        boolean overlap = false;
        for (ShardPlacement shard : plan.shards()) {
            NumaNode node = topology.complete().node(shard.node());
            assertTrue(node.cpus().containsAll(shard.cpus()), "CPUs inside their node: " + context + " " + shard);
            assertTrue(topology.allowedCpus().containsAll(shard.cpus()), "CPUs allowed: " + context);
            if (!plan.oversubscribed()) {
                assertEquals(shard.threads(), shard.cpus().size(), "one CPU per thread: " + context);
            }
            overlap |= claimed.intersects(shard.cpus());
            claimed = claimed.union(shard.cpus());
            if (!plan.config().nodeAffinity().isEmpty()) {
                assertEquals(plan.config().nodeAffinity().get(shard.shard()), shard.node(), "affinity honoured: " + context);
            }
        }
        if (overlap) {
            assertTrue(plan.oversubscribed(), "CPU sets overlap only when oversubscribed: " + context);
        }
        assertTrue(plan.interNodeTrafficShare() >= 0 && plan.interNodeTrafficShare() <= 1, context);
        assertFalse(plan.reasons().isEmpty(), context);
    }
}
