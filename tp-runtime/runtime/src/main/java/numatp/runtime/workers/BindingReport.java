package numatp.runtime.workers;

import numatp.collectives.team.ShardGroup;
import numatp.topology.binding.WorkerOutcome;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Where each shard thread landed, as start-up reports print it: one line per thread,
 * wanted vs seen, and the verdict ("match", "mismatch", "skipped").
 */
public final class BindingReport {
    private BindingReport() {
    }

    /** One line per thread, e.g. {@code shard 1 thread 0: node 1 CPU 3 -> match (getcpu: CPU 3, node 1; memory preferred)}. */
    public static List<String> lines(ShardGroup group) {
        List<String> lines = new ArrayList<>();
        for (WorkerOutcome o : group.outcomes()) {
            lines.add(line(o));
        }
        return lines;
    }

    /**
     * {@link #lines(ShardGroup)} for a group whose team i runs rank {@code ranks[i]} (a worker
     * process's shards): each line names the rank, not the team.
     */
    public static List<String> lines(ShardGroup group, int[] ranks) {
        List<String> lines = new ArrayList<>();
        for (WorkerOutcome o : group.outcomes()) {
            String line = line(o);
            String team = "shard " + o.shard() + " ";
            lines.add("shard " + ranks[o.shard()] + " " + line.substring(team.length()));
        }
        return lines;
    }

    /** One line for the whole group, e.g. {@code binding: 8 threads, 8 match}. */
    public static String summary(ShardGroup group) {
        int match = 0;
        int mismatch = 0;
        int skipped = 0;
        for (WorkerOutcome o : group.outcomes()) {
            switch (o.status()) {
                case BOUND -> match++;
                case MISMATCH -> mismatch++;
                case SKIPPED -> skipped++;
            }
        }
        return summary(group.outcomes().size(), match, mismatch, skipped);
    }

    /**
     * {@link #summary(ShardGroup)} of threads known only by their printed lines ({@link #line}: a
     * worker process's or another MPI rank's report); lines that are not a thread's are skipped.
     */
    public static String summaryOfLines(List<String> lines) {
        int threads = 0;
        int match = 0;
        int mismatch = 0;
        int skipped = 0;
        for (String line : lines) {
            if (line.contains(" thread ") && line.contains(" -> ")) {
                threads++;
                match += line.contains("-> match") ? 1 : 0;
                mismatch += line.contains("-> mismatch") ? 1 : 0;
                skipped += line.contains("-> skipped") ? 1 : 0;
            }
        }
        return summary(threads, match, mismatch, skipped);
    }

    private static String summary(int threads, int match, int mismatch, int skipped) {
        StringBuilder sb = new StringBuilder("binding: ").append(threads).append(" threads");
        if (match > 0) {
            sb.append(", ").append(match).append(" match");
        }
        if (mismatch > 0) {
            sb.append(", ").append(mismatch).append(" MISMATCH");
        }
        if (skipped > 0) {
            sb.append(", ").append(skipped).append(" skipped");
        }
        return sb.toString();
    }

    /** One thread's line, as {@link #lines(ShardGroup)} prints it. */
    public static String line(WorkerOutcome o) {
        String cpu = o.wantedCpus().isEmpty() ? "unpinned" : "CPU " + o.wantedCpus().toListString();
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "shard %d thread %d: node %d %s -> %s",
                o.shard(), o.thread(), o.wantedNode(), cpu, o.verdict()));
        if (o.status() != WorkerOutcome.Status.SKIPPED) {
            sb.append(String.format(Locale.ROOT, " (getcpu: CPU %s, node %s; memory %s)",
                    known(o.seenCpu()), known(o.seenNode()), o.memoryPolicy().name().toLowerCase(Locale.ROOT)));
        }
        if (!o.note().isEmpty()) {
            sb.append(": ").append(o.note());
        }
        return sb.toString();
    }

    private static String known(int id) {
        return id < 0 ? "?" : Integer.toString(id);
    }
}
