package numatp.cli;

import numatp.cli.bench.AllReduceBench;
import numatp.cli.bench.ProcessAllReduceBench;
import numatp.cli.bench.RegionResult;
import numatp.collectives.Algorithm;
import numatp.collectives.Communicator;
import numatp.collectives.CommunicatorConfig;
import numatp.collectives.CommunicatorStats;
import numatp.collectives.process.WorkerLifetime;
import numatp.collectives.shm.ProcessTransport;
import numatp.collectives.shm.ShmCommunicator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;

/** One rank of {@code tp bench allreduce --processes}; started by that command, not by users. */
@Command(name = "allreduce-worker", hidden = true, description = "One rank of 'tp bench allreduce --processes'.")
final class BenchAllReduceWorkerCommand implements Callable<Integer> {
    @Option(names = "--name", required = true)
    String name;
    @Option(names = "--rank", required = true)
    int rank;
    @Option(names = "--nodes", required = true)
    String nodes;
    @Option(names = "--slot-bytes", required = true)
    long slotBytes;
    @Option(names = "--timeout-ms", defaultValue = "60000", description = "how long to wait for a peer (--collective-timeout-ms)")
    long timeoutMs;
    @Option(names = "--cells", required = true, description = "algorithm:bytes:iterations;...")
    String cells;
    @Option(names = "--out", description = "result file; stdout after a RESULTS line when absent")
    Path out;
    @Option(names = "--staged", description = "buffer in this worker's own memory, not the shared file's buffer area")
    boolean staged;

    @Override
    public Integer call() throws Exception {
        // First thing: die with the launcher (and fail if it has died already).
        WorkerLifetime.bindToLauncher();
        int[] nodeOfRank = Arrays.stream(nodes.split(",")).mapToInt(Integer::parseInt).toArray();
        long maxBytes = 4;
        for (String cell : cells.split(";")) {
            maxBytes = Math.max(maxBytes, Long.parseLong(cell.split(":")[1]));
        }
        for (long[] cell : AllReduceBench.WARM_UP) {
            maxBytes = Math.max(maxBytes, cell[0]);
        }
        CommunicatorConfig config = CommunicatorConfig.defaults().withSlotBytes(slotBytes)
                .withTimeoutNs(Math.multiplyExact(timeoutMs, 1_000_000L)).withBufferBytes(staged ? 0 : maxBytes);
        List<String> lines = new ArrayList<>();
        try (Communicator c = ProcessTransport.join(name, rank, nodeOfRank, config);
             Arena own = Arena.ofConfined()) {
            // One buffer for every cell: in the shared file's buffer area (read in place), or private (staged).
            MemorySegment work = staged ? own.allocate(maxBytes, 64) : c.allocateBuffer(maxBytes);
            // Same warm-up as the thread mode: compile the kernels before anything is timed.
            try (Arena arena = Arena.ofConfined()) {
                for (Algorithm algorithm : List.of(Algorithm.ONESHOT, Algorithm.RING, Algorithm.HIERARCHICAL)) {
                    for (long[] cell : AllReduceBench.WARM_UP) {
                        AllReduceBench.rankLoop(c, algorithm, arena, cell[0], (int) cell[1], work);
                    }
                }
            }
            for (String cell : cells.split(";")) {
                String[] f = cell.split(":");
                Algorithm algorithm = Algorithm.parse("--cells", f[0]);
                long bytes = Long.parseLong(f[1]);
                int iterations = Integer.parseInt(f[2]);
                CommunicatorStats before = c.stats();
                long[] times;
                try (Arena arena = Arena.ofConfined()) {
                    times = AllReduceBench.rankLoop(c, algorithm, arena, bytes, AllReduceBench.warmupCalls(iterations) + iterations,
                            work);
                }
                CommunicatorStats after = c.stats();
                long inter = after.interNodeBytes() - before.interNodeBytes();
                long local = after.localBytes() - before.localBytes();
                String resolved = algorithm == Algorithm.AUTO ? ((ShmCommunicator) c).resolve(bytes).flagName() : algorithm.flagName();
                lines.add(resolved + " " + inter + "/" + local + " "
                        + Arrays.stream(times).mapToObj(Long::toString).reduce((a, b) -> a + "," + b).orElse(""));
            }
            if (rank == 0) {
                // Rank 0 created the file and bound the regions, so it knows every policy's reason.
                for (RegionResult region : RegionResult.of(c.regionPlacements())) {
                    lines.add("region\t" + region.rank() + "\t" + region.wantedNode() + "\t" + region.obtainedNode()
                            + "\t" + region.policy() + "\t" + region.note().replace('\t', ' ').replace('\n', ' '));
                }
            }
        }
        if (out != null) {
            Files.write(out, lines);
        } else {
            System.out.println(ProcessAllReduceBench.RESULTS_MARKER);
            lines.forEach(System.out::println);
            System.out.flush();
        }
        return 0;
    }
}
