package numatp.cli.bench;

import numatp.collectives.Algorithm;
import numatp.collectives.CollectiveException;
import numatp.collectives.process.RankLauncher;
import numatp.collectives.shm.ProcessTransport;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.StringJoiner;
import java.util.concurrent.TimeUnit;

/**
 * {@code tp bench allreduce --processes}: one JVM per rank ({@code tp bench allreduce-worker}),
 * joined through {@code /dev/shm} and supervised by a {@link RankLauncher} (workers die with this
 * process; a failed worker's error names its rank, pid, signal and stderr); each worker runs every
 * cell and prints its call times on stdout, and the slowest rank per call is taken here.
 */
public final class ProcessAllReduceBench {
    /** One measured cell: algorithm, message size, calls including warmup. */
    public record Cell(Algorithm algorithm, long bytes, int iterations) {
    }

    /** Line a worker prints before its result lines on stdout. */
    public static final String RESULTS_MARKER = "RESULTS";

    private ProcessAllReduceBench() {
    }

    /**
     * Runs {@code cells} on one worker JVM per rank; each waits for a peer at most {@code timeoutNs}.
     * Buffers lie in the shared file (read in place), or when {@code staged} in each worker's own memory.
     */
    public static List<AllReduceResult> run(List<Cell> cells, int[] nodeOfRank, long slotBytes, long timeoutNs,
                                            double copyBytesPerSecond, String name, boolean staged)
            throws InterruptedException {
        int shards = nodeOfRank.length;
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        StringJoiner cellArg = new StringJoiner(";");
        for (Cell c : cells) {
            cellArg.add(c.algorithm().flagName() + ":" + c.bytes() + ":" + c.iterations());
        }
        String nodes = Arrays.stream(nodeOfRank).mapToObj(Integer::toString).reduce((a, b) -> a + "," + b).orElseThrow();
        List<List<String>> commands = new ArrayList<>();
        for (int r = 0; r < shards; r++) {
            List<String> command = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector",
                    "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), "numatp.cli.TpMain",
                    "bench", "allreduce-worker", "--name", name, "--rank", Integer.toString(r), "--nodes", nodes,
                    "--slot-bytes", Long.toString(slotBytes), "--timeout-ms", Long.toString(Math.max(1, timeoutNs / 1_000_000)),
                    "--cells", cellArg.toString()));
            if (staged) {
                command.add("--staged");
            }
            commands.add(command);
        }
        // Results come back through the workers' stdout: no temporary files to leave behind.
        List<List<String>> lines = new ArrayList<>();
        try (RankLauncher launcher = RankLauncher.start(commands, null)) {
            for (List<String> out : launcher.awaitAll(TimeUnit.HOURS.toNanos(1))) {
                int marker = out.lastIndexOf(RESULTS_MARKER);
                if (marker < 0) {
                    throw new CollectiveException("benchmark worker rank " + lines.size() + " printed no results: "
                            + String.join(" | ", out));
                }
                lines.add(out.subList(marker + 1, out.size()));
            }
        } finally {
            // Every worker is gone now: a group file left by a rank killed while joining is abandoned.
            ProcessTransport.removeIfAbandoned(ProcessTransport.DEFAULT_DIR, name);
        }
        List<AllReduceResult> results = new ArrayList<>();
        List<RegionResult> regions = new ArrayList<>();
        // After its cells rank 0 lists every region: region, rank, wanted, obtained, policy, note (tab-separated).
        for (String line : lines.getFirst().subList(cells.size(), lines.getFirst().size())) {
            String[] region = line.split("\t", -1);
            regions.add(new RegionResult(Integer.parseInt(region[1]), Integer.parseInt(region[2]),
                    Integer.parseInt(region[3]), region[4], region[5]));
        }
        for (int i = 0; i < cells.size(); i++) {
            Cell cell = cells.get(i);
            long[][] elapsed = new long[shards][];
            long inter = 0;
            long local = 0;
            String resolved = cell.algorithm().flagName();
            for (int r = 0; r < shards; r++) {
                String[] parts = lines.get(r).get(i).split(" ");
                resolved = parts[0];
                String[] bytes = parts[1].split("/");
                inter += Long.parseLong(bytes[0]);
                local += Long.parseLong(bytes[1]);
                elapsed[r] = Arrays.stream(parts[2].split(",")).mapToLong(Long::parseLong).toArray();
            }
            double interNode = inter + local == 0 ? 0 : 100.0 * inter / (inter + local);
            int warmup = AllReduceBench.warmupCalls(cell.iterations());
            results.add(AllReduceBench.summarize(cell.algorithm().flagName(), resolved, shards, cell.bytes(),
                    AllReduceBench.slowest(elapsed, warmup), copyBytesPerSecond, interNode).withRegions(regions));
        }
        return results;
    }
}
