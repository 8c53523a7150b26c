package numatp.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import numatp.runtime.config.ByteSize;
import numatp.runtime.config.ConfigJson;
import numatp.runtime.plan.LayoutEstimate;
import numatp.runtime.plan.MultiHostPlan;
import numatp.runtime.plan.NodeBudget;
import numatp.runtime.plan.PlacementPlan;
import numatp.runtime.plan.ReplicaPlan;
import numatp.runtime.plan.ShardPlacement;

import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/** A {@link PlacementPlan} as a table, as JSON (stable keys) and as a Markdown report. */
final class PlanOutput {
    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private PlanOutput() {
    }

    static String text(PlacementPlan plan) {
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "%-6s %-5s %-8s %s%n", "shard", "node", "threads", "cpus"));
        for (ShardPlacement s : plan.shards()) {
            out.append(String.format(Locale.ROOT, "%-6d %-5d %-8d %s%n", s.shard(), s.node(), s.threads(),
                    s.cpus().toListString()));
        }
        out.append(System.lineSeparator());
        out.append(String.format(Locale.ROOT, "%-5s %-8s %-6s %-12s %-12s %s%n", "node", "shards", "cores", "memory",
                "free", "fits"));
        for (NodeBudget n : plan.nodes()) {
            out.append(String.format(Locale.ROOT, "%-5d %-8s %-6d %-12s %-12s %s%n", n.id(),
                    n.shards().isEmpty() ? "-" : n.shards().toListString(), n.cores(),
                    ByteSize.format(n.memoryBudgetBytes()), ByteSize.format(n.memFreeBytes()),
                    n.shards().isEmpty() ? "-" : n.fits() ? "yes" : "NO"));
        }
        out.append(System.lineSeparator());
        out.append(String.format(Locale.ROOT, "cross-node share of allreduce traffic: %.0f%%%n",
                100 * plan.interNodeTrafficShare()));
        out.append("why:").append(System.lineSeparator());
        plan.reasons().forEach(r -> out.append("  - ").append(r).append(System.lineSeparator()));
        if (!plan.warnings().isEmpty()) {
            out.append("warnings:").append(System.lineSeparator());
            plan.warnings().forEach(w -> out.append("  ! ").append(w).append(System.lineSeparator()));
        }
        return out.toString();
    }

    static ObjectNode json(PlacementPlan plan) {
        ObjectNode root = MAPPER.createObjectNode();
        root.set("config", ConfigJson.toJson(plan.config()));
        ArrayNode shards = root.putArray("shards");
        for (ShardPlacement s : plan.shards()) {
            ObjectNode node = shards.addObject();
            node.put("shard", s.shard());
            node.put("node", s.node());
            ArrayNode cpus = node.putArray("cpus");
            s.cpus().stream().forEach(cpus::add);
            node.put("threads", s.threads());
        }
        ArrayNode nodes = root.putArray("nodes");
        for (NodeBudget n : plan.nodes()) {
            ObjectNode node = nodes.addObject();
            node.put("id", n.id());
            ArrayNode ranks = node.putArray("shards");
            n.shards().stream().forEach(ranks::add);
            node.put("cores", n.cores());
            node.put("memoryBudgetBytes", n.memoryBudgetBytes());
            node.put("memFreeBytes", n.memFreeBytes());
        }
        root.put("interNodeTrafficShare", plan.interNodeTrafficShare());
        root.put("oversubscribed", plan.oversubscribed());
        ObjectNode cost = root.putObject("cost");
        cost.put("balance", plan.cost().balance());
        cost.put("crossNode", plan.cost().crossNode());
        cost.put("total", plan.cost().total());
        ArrayNode reasons = root.putArray("reasons");
        plan.reasons().forEach(reasons::add);
        ArrayNode warnings = root.putArray("warnings");
        plan.warnings().forEach(warnings::add);
        return root;
    }

    static String jsonText(PlacementPlan plan) {
        try {
            return MAPPER.writeValueAsString(json(plan)) + System.lineSeparator();
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Per host: a header naming the host, its global ranks, then its one-host plan (ranks local to the host). */
    static String text(MultiHostPlan plan) {
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "%d shards over %d hosts%n", plan.shards(), plan.hosts().size()));
        for (MultiHostPlan.HostPlan h : plan.hosts()) {
            out.append(System.lineSeparator()).append(String.format(Locale.ROOT,
                    "== host %d (%s): global ranks %d-%d; local shard r below is global rank %d + r%n", h.host(),
                    h.name(), h.firstRank(), h.firstRank() + h.shards() - 1, h.firstRank()));
            out.append(text(h.plan()));
        }
        out.append(System.lineSeparator()).append("across hosts:").append(System.lineSeparator());
        plan.reasons().forEach(r -> out.append("  - ").append(r).append(System.lineSeparator()));
        return out.toString();
    }

    /** {@code {"shards", "hosts": [{"host", "name", "firstRank", "shards", "plan": {one-host plan}}], "reasons"}}. */
    static String jsonText(MultiHostPlan plan) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("shards", plan.shards());
        ArrayNode hosts = root.putArray("hosts");
        for (MultiHostPlan.HostPlan h : plan.hosts()) {
            ObjectNode host = hosts.addObject();
            host.put("host", h.host());
            host.put("name", h.name());
            host.put("firstRank", h.firstRank());
            host.put("shards", h.shards());
            host.set("plan", json(h.plan()));
        }
        ArrayNode reasons = root.putArray("reasons");
        plan.reasons().forEach(reasons::add);
        try {
            return MAPPER.writeValueAsString(root) + System.lineSeparator();
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The layout, the layouts priced, then each replica's plan (its ranks local to the replica), then why. */
    static String text(ReplicaPlan plan) {
        StringBuilder out = new StringBuilder();
        String nl = System.lineSeparator();
        out.append("layout: ").append(plan.chosen().describeWithSpeed()).append(nl);
        if (plan.considered().size() > 1) {
            out.append(nl).append(String.format(Locale.ROOT, "%-9s %-7s %-6s %-6s %-14s %s%n", "replicas", "shards",
                    "nodes", "split", "tok/s@" + plan.chosen().concurrency(), "tok/s alone"));
            Set<String> shown = new HashSet<>();
            for (LayoutEstimate e : plan.considered()) {
                if (!e.equals(plan.chosen()) && !shown.add(e.replicas() + (e.splitsNodes() ? "s" : ""))) {
                    continue;
                }
                out.append(String.format(Locale.ROOT, "%-9d %-7d %-6d %-6s %-14.0f %.0f%s%n", e.replicas(),
                        e.shardsPerReplica(), e.nodesPerReplica(), e.splitsNodes() ? "yes" : "no", e.tokensPerSecond(),
                        e.batchOneTokensPerSecond(), e.equals(plan.chosen()) ? "   <- chosen" : ""));
            }
            out.append("(the fastest shard count per replica count; --json lists every layout priced)").append(nl);
        }
        for (int r = 0; r < plan.replicaCount(); r++) {
            out.append(nl).append("== replica ").append(r).append(" (").append(plan.replica(r).shards().size())
                    .append(plan.replica(r).shards().size() == 1 ? " shard" : " shards").append(')').append(nl);
            out.append(text(plan.replica(r)));
        }
        out.append(nl).append("layout, why:").append(nl);
        plan.reasons().forEach(r -> out.append("  - ").append(r).append(nl));
        if (!plan.warnings().isEmpty()) {
            out.append("layout warnings:").append(nl);
            plan.warnings().forEach(w -> out.append("  ! ").append(w).append(nl));
        }
        return out.toString();
    }

    /**
     * {@code {"config", "layout": {estimate}, "alternative": {estimate} | null, "considered": [...],
     * "replicas": [{one-replica plan}], "reasons", "warnings"}}.
     */
    static String jsonText(ReplicaPlan plan) {
        ObjectNode root = MAPPER.createObjectNode();
        root.set("config", ConfigJson.toJson(plan.config()));
        root.set("layout", json(plan.chosen()));
        if (plan.alternative() == null) {
            root.putNull("alternative");
        } else {
            root.set("alternative", json(plan.alternative()));
        }
        ArrayNode considered = root.putArray("considered");
        plan.considered().forEach(e -> considered.add(json(e)));
        ArrayNode replicas = root.putArray("replicas");
        plan.replicas().forEach(p -> replicas.add(json(p)));
        ArrayNode reasons = root.putArray("reasons");
        plan.reasons().forEach(reasons::add);
        ArrayNode warnings = root.putArray("warnings");
        plan.warnings().forEach(warnings::add);
        try {
            return MAPPER.writeValueAsString(root) + System.lineSeparator();
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ObjectNode json(LayoutEstimate e) {
        ObjectNode node = MAPPER.createObjectNode();
        node.put("replicas", e.replicas());
        node.put("shardsPerReplica", e.shardsPerReplica());
        node.put("nodesPerReplica", e.nodesPerReplica());
        node.put("splitsNodes", e.splitsNodes());
        node.put("concurrency", e.concurrency());
        node.put("tokensPerSecond", e.tokensPerSecond());
        node.put("batchOneTokensPerSecond", e.batchOneTokensPerSecond());
        return node;
    }

    static String markdown(PlacementPlan plan, String machine, String command) {
        StringBuilder out = new StringBuilder("# numatp placement plan\n\n");
        out.append("- machine: ").append(machine).append('\n');
        out.append("- command: `").append(command).append("`\n");
        out.append(String.format(Locale.ROOT, "- shards: %d on %d node(s); cross-node share of allreduce traffic %.0f%%%n",
                plan.shards().size(), plan.usedNodes().size(), 100 * plan.interNodeTrafficShare()));
        out.append("\n## Shards\n\n| shard | node | threads | CPUs |\n|---|---|---|---|\n");
        for (ShardPlacement s : plan.shards()) {
            out.append("| ").append(s.shard()).append(" | ").append(s.node()).append(" | ").append(s.threads())
                    .append(" | ").append(s.cpus().toListString()).append(" |\n");
        }
        out.append("\n## Nodes\n\n| node | shards | cores | memory needed | free | fits |\n|---|---|---|---|---|---|\n");
        for (NodeBudget n : plan.nodes()) {
            out.append("| ").append(n.id()).append(" | ").append(n.shards().isEmpty() ? "-" : n.shards().toListString())
                    .append(" | ").append(n.cores()).append(" | ").append(ByteSize.format(n.memoryBudgetBytes()))
                    .append(" | ").append(ByteSize.format(n.memFreeBytes())).append(" | ")
                    .append(n.shards().isEmpty() ? "-" : n.fits() ? "yes" : "**no**").append(" |\n");
        }
        out.append("\n## Why\n\n");
        plan.reasons().forEach(r -> out.append("- ").append(r).append('\n'));
        if (!plan.warnings().isEmpty()) {
            out.append("\n## Warnings\n\n");
            plan.warnings().forEach(w -> out.append("- ").append(w).append('\n'));
        }
        return out.toString();
    }
}
