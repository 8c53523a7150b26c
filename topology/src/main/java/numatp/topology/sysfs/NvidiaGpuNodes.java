package numatp.topology.sysfs;

import numatp.topology.IdSet;

import java.util.ArrayList;
import java.util.List;

/** NUMA nodes that the NVIDIA driver backs with GPU memory ({@code Node: N} in numa_status). */
final class NvidiaGpuNodes {
    private static final String GPUS = "proc/driver/nvidia/gpus";

    private NvidiaGpuNodes() {
    }

    static IdSet read(SysFs fs) {
        List<Integer> nodes = new ArrayList<>();
        for (String gpu : fs.list(GPUS)) {
            String file = GPUS + "/" + gpu + "/numa_status";
            for (String line : fs.read(file).orElse("").split("\n")) {
                String trimmed = line.trim();
                if (trimmed.startsWith("Node:")) {
                    long node = fs.parseLong(trimmed.substring(5).trim(), file);
                    if (node >= 0 && node <= IdSet.MAX_ID) {
                        nodes.add((int) node);
                    }
                }
            }
        }
        return IdSet.of(nodes.stream().mapToInt(Integer::intValue).toArray());
    }
}
