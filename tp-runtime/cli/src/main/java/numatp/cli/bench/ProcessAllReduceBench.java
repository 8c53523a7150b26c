package numatp.cli.bench;

import numatp.collectives.Algorithm;
import numatp.collectives.CollectiveException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.StringJoiner;
import java.util.concurrent.TimeUnit;

/**
 * {@code tp bench allreduce --processes}: one JVM per rank ({@code tp bench allreduce-worker}),
 * joined through {@code /dev/shm}; each worker runs every cell and writes its call times to a
 * file, and the slowest rank per call is taken here.
 */
public final class ProcessAllReduceBench {
    /** One measured cell: algorithm, message size, calls including warmup. */
    public record Cell(Algorithm algorithm, long bytes, int iterations) {
    }

    private ProcessAllReduceBench() {
    }

    public static List<AllReduceResult> run(List<Cell> cells, int[] nodeOfRank, long slotBytes, double copyBytesPerSecond,
                                            String name) throws IOException, InterruptedException {
        int shards = nodeOfRank.length;
        Path dir = Files.createTempDirectory("numatp-bench-");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        StringJoiner cellArg = new StringJoiner(";");
        for (Cell c : cells) {
            cellArg.add(c.algorithm().flagName() + ":" + c.bytes() + ":" + c.iterations());
        }
        String nodes = Arrays.stream(nodeOfRank).mapToObj(Integer::toString).reduce((a, b) -> a + "," + b).orElseThrow();
        List<Process> workers = new ArrayList<>();
        for (int r = 0; r < shards; r++) {
            workers.add(new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                    "-cp", System.getProperty("java.class.path"), "numatp.cli.TpMain", "bench", "allreduce-worker",
                    "--name", name, "--rank", Integer.toString(r), "--nodes", nodes, "--slot-bytes", Long.toString(slotBytes),
                    "--cells", cellArg.toString(), "--out", dir.resolve("rank-" + r + ".txt").toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("rank-" + r + ".log").toFile()).start());
        }
        for (int r = 0; r < shards; r++) {
            Process p = workers.get(r);
            if (!p.waitFor(1, TimeUnit.HOURS) || p.exitValue() != 0) {
                workers.forEach(Process::destroyForcibly);
                String log = Files.readString(dir.resolve("rank-" + r + ".log"), StandardCharsets.UTF_8);
                throw new CollectiveException("benchmark worker rank " + r + " failed (exit " + p.exitValue() + "): "
                        + log.lines().filter(l -> !l.startsWith("WARNING: Using incubator")).reduce("", (a, b) -> a + " " + b).strip());
            }
        }
        List<AllReduceResult> results = new ArrayList<>();
        List<List<String>> lines = new ArrayList<>();
        List<RegionResult> regions = new ArrayList<>();
        for (int r = 0; r < shards; r++) {
            lines.add(Files.readAllLines(dir.resolve("rank-" + r + ".txt")));
        }
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
