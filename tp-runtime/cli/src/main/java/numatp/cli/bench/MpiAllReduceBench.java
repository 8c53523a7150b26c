package numatp.cli.bench;

import numatp.collectives.CommunicatorConfig;
import numatp.collectives.ElementType;
import numatp.collectives.mpi.FfmMpiLibrary;
import numatp.collectives.mpi.MpiCommunicator;
import numatp.collectives.mpi.MpiSession;
import numatp.collectives.mpi.MultiHostCommunicator;

import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * {@code tp bench allreduce --mpi}, run by every process of an mpirun job: numatp's three-tier
 * allreduce ({@link MultiHostCommunicator}: shared memory inside each host, MPI between the
 * hosts' leaders in a fixed order) against plain MPI_Allreduce on the same ranks, per size.
 * Every timed call starts after a barrier; a call's time is the slowest rank's (times are
 * allgathered), and the table gives the median and 99th percentile of those. World rank 0
 * prints; the others stay silent.
 */
public final class MpiAllReduceBench {
    /** One size: both engines' median and p99 of the slowest rank's call, µs. */
    public record Row(long bytes, int iterations, double tieredMedianUs, double tieredP99Us, double mpiMedianUs,
                      double mpiP99Us) {
    }

    private MpiAllReduceBench() {
    }

    public static List<Row> run(PrintWriter out, int expectedRanks, List<Long> sizes, Integer iterations,
                                CommunicatorConfig config) {
        List<Row> rows = new ArrayList<>();
        long timeoutMs = TimeUnit.NANOSECONDS.toMillis(config.timeoutNs());
        try (MpiSession session = MpiSession.start(FfmMpiLibrary.load(), timeoutMs)) {
            boolean print = session.worldRank() == 0;
            if (expectedRanks != session.worldSize()) {
                throw new numatp.collectives.mpi.MpiException("--shards " + expectedRanks + " but the MPI job has "
                        + session.worldSize() + " ranks (mpirun -np): give --shards " + session.worldSize());
            }
            int hostRanks = 0;
            for (int r = 0; r < session.worldSize(); r++) {
                hostRanks += session.hostOfRank(r) == session.hostOfRank(session.worldRank()) ? 1 : 0;
            }
            try (MultiHostCommunicator tiered = MultiHostCommunicator.join(session, new int[hostRanks], config);
                 MpiCommunicator world = session.worldCommunicator();
                 Arena arena = Arena.ofShared()) {
                if (print) {
                    out.printf("mpi: %s; %d ranks on %d hosts%n", session.describe(), session.worldSize(),
                            session.hosts());
                    out.printf("%10s %7s %14s %12s %14s %12s %8s%n", "bytes", "calls", "numatp med µs", "numatp p99",
                            "MPI med µs", "MPI p99", "ratio");
                    out.flush();
                }
                for (long bytes : sizes) {
                    long count = bytes / 4;
                    int k = iterations != null ? iterations : AllReduceBench.defaultIterations(bytes,
                            session.worldSize());
                    MemorySegment buffer = arena.allocate(Math.max(64, bytes), 64);
                    float[] tieredUs = time(k, world, () -> tiered.allReduce(buffer, count, ElementType.F32), arena);
                    float[] mpiUs = time(k, world, () -> world.mpiAllReduce(buffer, count), arena);
                    Row row = new Row(bytes, k, percentile(tieredUs, 0.5), percentile(tieredUs, 0.99),
                            percentile(mpiUs, 0.5), percentile(mpiUs, 0.99));
                    rows.add(row);
                    if (print) {
                        out.printf(Locale.ROOT, "%10s %7d %14.1f %12.1f %14.1f %12.1f %7.2fx%n",
                                ByteSizes.format(bytes), k, row.tieredMedianUs(), row.tieredP99Us(),
                                row.mpiMedianUs(), row.mpiP99Us(), row.mpiMedianUs() / row.tieredMedianUs());
                        out.flush();
                    }
                }
            }
        }
        return rows;
    }

    /** Each call's time on the slowest rank, µs: 3 untimed calls, then {@code k} timed ones after a barrier each. */
    private static float[] time(int k, MpiCommunicator world, Runnable call, Arena arena) {
        for (int i = 0; i < 3; i++) {
            call.run();
        }
        float[] mine = new float[k];
        for (int i = 0; i < k; i++) {
            world.barrier();
            long t0 = System.nanoTime();
            call.run();
            mine[i] = (System.nanoTime() - t0) / 1e3f;
        }
        MemorySegment send = arena.allocate(4L * k, 64);
        MemorySegment.copy(mine, 0, send, ValueLayout.JAVA_FLOAT, 0, k);
        MemorySegment all = arena.allocate(4L * k * world.size(), 64);
        world.allGather(send, all, k, ElementType.F32);
        float[] slowest = new float[k];
        for (int r = 0; r < world.size(); r++) {
            for (int i = 0; i < k; i++) {
                slowest[i] = Math.max(slowest[i], all.getAtIndex(ValueLayout.JAVA_FLOAT, (long) r * k + i));
            }
        }
        return slowest;
    }

    private static double percentile(float[] values, double p) {
        float[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[Math.min(sorted.length - 1, (int) Math.floor(p * (sorted.length - 1) + 0.5))];
    }
}
