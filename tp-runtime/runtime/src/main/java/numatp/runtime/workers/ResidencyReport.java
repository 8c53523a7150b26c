package numatp.runtime.workers;

import numatp.models.tp.WeightPlacement;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Where each shard's weights and KV cache landed, as a worker process or an MPI rank reports its
 * own shards: one line per shard, e.g. {@code shard 1 on node 1: weights 0.5 MiB 100.0% local, KV
 * 0.1 MiB 100.0% local -> match}; "match" needs at least 99% of both on the node, "unknown" when
 * memory was not bound.
 */
public final class ResidencyReport {
    private ResidencyReport() {
    }

    public static List<String> lines(WeightPlacement placement) {
        List<String> lines = new ArrayList<>();
        for (WeightPlacement.ShardBytes s : placement.shards()) {
            boolean unknown = Double.isNaN(s.weightLocalPercent()) || Double.isNaN(s.kvLocalPercent());
            boolean match = !unknown && s.weightLocalPercent() >= 99 && s.kvLocalPercent() >= 99;
            lines.add(String.format(Locale.ROOT, "shard %d on node %d: weights %.1f MiB %s, KV %.1f MiB %s -> %s",
                    s.shard(), s.node(), s.weightBytes() / 1048576.0, local(s.weightLocalPercent()),
                    s.kvCacheBytes() / 1048576.0, local(s.kvLocalPercent()),
                    unknown ? "unknown" : match ? "match" : "MISMATCH"));
        }
        return lines;
    }

    private static String local(double percent) {
        return Double.isNaN(percent) ? "(placement unknown)" : String.format(Locale.ROOT, "%.1f%% local", percent);
    }
}
