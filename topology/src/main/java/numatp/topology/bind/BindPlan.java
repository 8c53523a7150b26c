package numatp.topology.bind;

import java.util.List;

/** A dry-run plan: the machine's sockets, each selected process's place, and notes for the operator. */
public record BindPlan(String root, String policy, List<SocketNodes> sockets, List<ProcessBinding> processes,
                       List<String> notes) {
    public BindPlan {
        sockets = List.copyOf(sockets);
        processes = List.copyOf(processes);
        notes = List.copyOf(notes);
    }

    public int groupCount() {
        return (int) processes.stream().filter(ProcessBinding::isGroup).map(ProcessBinding::group).distinct().count();
    }

    /** The plan as text lines, one per socket, process and note. */
    public String toText() {
        StringBuilder b = new StringBuilder();
        b.append("binding plan for ").append(root).append(" (policy ").append(policy).append("): ")
                .append(sockets.size()).append(" socket(s), ").append(groupCount()).append(" group(s), ")
                .append(processes.stream().filter(p -> !p.isGroup()).count()).append(" other process(es)\n");
        for (SocketNodes s : sockets) {
            b.append("socket ").append(s.index()).append(":");
            for (var n : s.nodes()) {
                b.append(" node ").append(n.id()).append(" (CPUs ").append(n.cpus().toListString()).append(")");
            }
            b.append('\n');
        }
        for (ProcessBinding p : processes) {
            b.append(p.isGroup() ? "group " + p.group() : "other").append(" -> socket ").append(p.socket())
                    .append(": pid ").append(p.pid()).append(" (").append(p.comm()).append(") CPUs ")
                    .append(p.cpus().toListString()).append(" (node ").append(p.node()).append(")");
            if (!p.device().isEmpty()) {
                b.append(" next to ").append(p.device());
            }
            long forward = p.forwardThreads();
            if (forward > 0) {
                ThreadBinding f = p.threads().stream().filter(ThreadBinding::forward).findFirst().orElseThrow();
                b.append("; ").append(forward).append(" forward thread(s) -> CPUs ").append(f.cpus().toListString())
                        .append(" (node ").append(f.node()).append(")");
            }
            b.append("; memory ").append(p.memory().label()).append(' ').append(p.memNodes().toListString())
                    .append('\n');
        }
        for (String n : notes) {
            b.append("note: ").append(n).append('\n');
        }
        return b.toString();
    }
}
