package numatp.topology.bind;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;
import java.util.Map;

/**
 * {@code tp bind}'s outputs beyond the plan text: the apply and verify lines, the JSON of
 * {@code --json} and the Markdown of {@code --report}. {@code steps} and {@code checks} are empty
 * for a dry run. Field names are documented in docs/operations.md.
 */
public final class BindReport {
    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private BindReport() {
    }

    /** One line per apply step, then the restart lines for the memory policy. */
    public static String applyText(BindPlan plan, List<ApplyStep> steps) {
        StringBuilder b = new StringBuilder();
        for (ApplyStep s : steps) {
            b.append('[').append(s.status().label()).append("] pid ").append(s.pid());
            b.append(s.tid() > 0 ? " tid " + s.tid() : "").append(' ').append(s.call()).append(": ")
                    .append(s.detail()).append('\n');
        }
        b.append(memoryNote(plan));
        return b.toString();
    }

    /** What cannot be changed on a running process, and the start lines that set it. */
    public static String memoryNote(BindPlan plan) {
        if (plan.processes().isEmpty()) {
            return "";
        }
        StringBuilder b = new StringBuilder("memory policy for new pages is set when a process starts; restart with:\n");
        for (ProcessBinding p : plan.processes()) {
            b.append("  pid ").append(p.pid()).append(": ").append(p.numactlLine()).append('\n');
            b.append("           systemd: ").append(p.systemdLines()).append('\n');
        }
        return b.toString();
    }

    /** One line per process and thread: wanted, got, match or mismatch; then a summary line. */
    public static String verifyText(List<ProcessCheck> checks) {
        StringBuilder b = new StringBuilder();
        int mismatches = 0;
        for (ProcessCheck c : checks) {
            for (ThreadCheck t : c.threads()) {
                b.append('[').append(t.verdict()).append("] pid ").append(c.pid()).append(" tid ").append(t.tid())
                        .append(" (").append(t.comm()).append("): wanted CPUs ").append(t.wanted().toListString())
                        .append(", got ").append(t.gone() ? "-" : t.got().toListString()).append('\n');
                mismatches += t.gone() || t.matches() ? 0 : 1;
            }
            b.append('[').append(c.memoryMatches() ? "match" : "mismatch").append("] pid ").append(c.pid())
                    .append(" memory: ").append(pagesText(c)).append('\n');
        }
        b.append(mismatches == 0 ? "verified: every live thread runs on its planned CPUs\n"
                : "NOT verified: " + mismatches + " thread(s) off their planned CPUs\n");
        return b.toString();
    }

    private static String pagesText(ProcessCheck c) {
        if (c.pagesByNode().isEmpty()) {
            return "no pages counted (numa_maps unreadable or empty); policy wanted " + c.memory().label() + " "
                    + c.memNodes().toListString();
        }
        StringBuilder b = new StringBuilder();
        for (Map.Entry<Integer, Long> e : new java.util.TreeMap<>(c.pagesByNode()).entrySet()) {
            b.append(b.isEmpty() ? "" : " ").append('N').append(e.getKey()).append('=').append(e.getValue());
        }
        String stayed = c.strayPages().isEmpty() ? "" : "; off them: " + c.strayText(4)
                + (c.strayAnonymousPages() == 0 ? " (no private anonymous page stayed: what is left is file-backed or"
                + " shared, e.g. libraries and page cache other processes map too)" : "");
        return b + " pages, " + c.pagesOnPlannedNodes() + "/" + c.pagesTotal() + " on planned nodes "
                + c.memNodes().toListString() + stayed + "; policies " + c.policies();
    }

    /** True when every live thread matched. */
    public static boolean verified(List<ProcessCheck> checks) {
        return checks.stream().allMatch(ProcessCheck::cpusMatch);
    }

    public static String json(BindPlan plan, List<ApplyStep> steps, List<ProcessCheck> checks) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("root", plan.root());
        root.put("policy", plan.policy());
        ArrayNode sockets = root.putArray("sockets");
        for (SocketNodes s : plan.sockets()) {
            ObjectNode n = sockets.addObject();
            n.put("socket", s.index());
            ArrayNode nodes = n.putArray("nodes");
            s.nodes().forEach(node -> nodes.addObject().put("node", node.id()).put("cpus", node.cpus().toListString()));
        }
        ArrayNode processes = root.putArray("processes");
        for (ProcessBinding p : plan.processes()) {
            ObjectNode n = processes.addObject();
            n.put("pid", p.pid());
            n.put("comm", p.comm());
            n.put("role", p.isGroup() ? "group" : "other");
            n.put("group", p.group());
            n.put("socket", p.socket());
            n.put("node", p.node());
            n.put("cpus", p.cpus().toListString());
            n.put("memoryPolicy", p.memory().label());
            n.put("memoryNodes", p.memNodes().toListString());
            n.put("device", p.device());
            n.put("numactl", p.numactlLine());
            ArrayNode threads = n.putArray("threads");
            for (ThreadBinding t : p.threads()) {
                threads.addObject().put("tid", t.tid()).put("comm", t.comm()).put("forward", t.forward())
                        .put("node", t.node()).put("cpus", t.cpus().toListString());
            }
        }
        root.putPOJO("notes", plan.notes());
        ArrayNode applied = root.putArray("applied");
        for (ApplyStep s : steps) {
            applied.addObject().put("pid", s.pid()).put("tid", s.tid()).put("call", s.call())
                    .put("status", s.status().label()).put("detail", s.detail());
        }
        ArrayNode verified = root.putArray("verified");
        for (ProcessCheck c : checks) {
            ObjectNode n = verified.addObject();
            n.put("pid", c.pid());
            n.put("cpusMatch", c.cpusMatch());
            n.put("memoryMatch", c.memoryMatches());
            ObjectNode strays = n.putObject("strayPages");
            new java.util.TreeMap<>(c.strayPages()).forEach(strays::put);
            ObjectNode pages = n.putObject("pagesByNode");
            new java.util.TreeMap<>(c.pagesByNode()).forEach((k, v) -> pages.put(Integer.toString(k), v));
            ArrayNode threads = n.putArray("threads");
            for (ThreadCheck t : c.threads()) {
                threads.addObject().put("tid", t.tid()).put("wanted", t.wanted().toListString())
                        .put("got", t.gone() ? null : t.got().toListString()).put("verdict", t.verdict());
            }
        }
        try {
            return MAPPER.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new BindException("cannot write the binding JSON: " + e.getMessage(), e);
        }
    }

    /** The Markdown report: the plan as tables, then what was applied and verified, if anything. */
    public static String markdown(BindPlan plan, List<ApplyStep> steps, List<ProcessCheck> checks) {
        StringBuilder b = new StringBuilder("# NUMA binding report\n\n");
        b.append("Machine `").append(plan.root()).append("`, policy `").append(plan.policy()).append("`: ")
                .append(plan.sockets().size()).append(" socket(s), ").append(plan.groupCount()).append(" group(s).\n\n");
        b.append("## Topology\n\n| socket | node | CPUs |\n|---|---|---|\n");
        for (SocketNodes s : plan.sockets()) {
            s.nodes().forEach(n -> b.append("| ").append(s.index()).append(" | ").append(n.id()).append(" | ")
                    .append(n.cpus().toListString()).append(" |\n"));
        }
        b.append("\n## Plan\n\n| role | pid | name | socket | node | CPUs | forward threads | memory |\n")
                .append("|---|---|---|---|---|---|---|---|\n");
        for (ProcessBinding p : plan.processes()) {
            String forward = p.threads().stream().filter(ThreadBinding::forward).findFirst()
                    .map(t -> p.forwardThreads() + " on node " + t.node() + " (CPUs " + t.cpus().toListString() + ")")
                    .orElse("-");
            String role = (p.isGroup() ? "group " + p.group() : "other")
                    + (p.device().isEmpty() ? "" : ", next to " + p.device());
            b.append("| ").append(role).append(" | ").append(p.pid())
                    .append(" | `").append(p.comm()).append("` | ").append(p.socket()).append(" | ").append(p.node())
                    .append(" | ").append(p.cpus().toListString()).append(" | ").append(forward).append(" | ")
                    .append(p.memory().label()).append(' ').append(p.memNodes().toListString()).append(" |\n");
        }
        if (!plan.notes().isEmpty()) {
            b.append("\n## Notes\n\n");
            plan.notes().forEach(n -> b.append("- ").append(n).append('\n'));
        }
        if (!plan.processes().isEmpty()) {
            b.append("\n## Memory policy at start\n\nA running process's policy for new pages cannot be changed from"
                    + " outside; start it with:\n\n```\n");
            plan.processes().forEach(p -> b.append(p.numactlLine()).append('\n'));
            b.append("```\n");
        }
        if (!steps.isEmpty()) {
            b.append("\n## Applied\n\n| pid | tid | call | status | detail |\n|---|---|---|---|---|\n");
            steps.forEach(s -> b.append("| ").append(s.pid()).append(" | ").append(s.tid() > 0 ? s.tid() : "-")
                    .append(" | ").append(s.call()).append(" | ").append(s.status().label()).append(" | ")
                    .append(s.detail().replace("|", "\\|")).append(" |\n"));
        }
        if (!checks.isEmpty()) {
            b.append("\n## Verified\n\n| pid | tid | wanted CPUs | got | verdict |\n|---|---|---|---|---|\n");
            for (ProcessCheck c : checks) {
                c.threads().forEach(t -> b.append("| ").append(c.pid()).append(" | ").append(t.tid()).append(" | ")
                        .append(t.wanted().toListString()).append(" | ")
                        .append(t.gone() ? "-" : t.got().toListString()).append(" | ").append(t.verdict())
                        .append(" |\n"));
                b.append("| ").append(c.pid()).append(" | memory | ").append(c.memNodes().toListString()).append(" | ")
                        .append(c.pagesOnPlannedNodes()).append('/').append(c.pagesTotal()).append(" pages")
                        .append(c.strayPages().isEmpty() ? "" : "; off them: " + c.strayText(4).replace("|", "\\|"))
                        .append(" | ").append(c.memoryMatches() ? "match" : "mismatch").append(" |\n");
            }
        }
        return b.toString();
    }
}
