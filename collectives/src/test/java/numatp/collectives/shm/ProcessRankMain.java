package numatp.collectives.shm;

import numatp.collectives.Algorithm;
import numatp.collectives.CollectiveException;
import numatp.collectives.Communicator;
import numatp.collectives.CommunicatorConfig;
import numatp.collectives.ElementType;
import numatp.collectives.process.WorkerLifetime;
import numatp.collectives.sync.BusySpinIdleStrategy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * One rank of {@link ProcessTransportTest}, run in its own JVM:
 * {@code dir name rank nodes(comma) mode(sum|inplace|hang) [idle(default|spin)]} ({@code inplace}: as {@code sum}
 * with the buffer from {@code allocateBuffer}, so peers read it in place). Prints {@code RESULT <hash>}
 * per checked call, {@code READY} when a "hang" rank has stopped participating, and
 * {@code COLLECTIVE-ERROR <msg>} on stdout and stderr (exit 3) on a collective failure. Binds itself to
 * its launcher first, when started by one ({@link WorkerLifetime}).
 */
public final class ProcessRankMain {
    public static void main(String[] args) throws Exception {
        try {
            WorkerLifetime.bindToLauncher();
        } catch (CollectiveException e) {
            System.err.println("LAUNCHER-GONE " + e.getMessage());
            System.exit(WorkerLifetime.ORPHAN_EXIT);
        }
        Path dir = Path.of(args[0]);
        String name = args[1];
        int rank = Integer.parseInt(args[2]);
        int[] nodes = Arrays.stream(args[3].split(",")).mapToInt(Integer::parseInt).toArray();
        String mode = args[4];
        int count = 5000; // larger than one slot
        CommunicatorConfig config = CommunicatorConfig.defaults().withSlotBytes(4096).withTimeoutNs(20_000_000_000L)
                .withBufferBytes(mode.equals("inplace") ? count * 4L : 0);
        if (args.length > 5 && args[5].equals("spin")) {
            // What IdleStrategy.forRanks picks with a core per rank: never parks.
            config = config.withIdle(new BusySpinIdleStrategy());
        }
        try (Communicator c = ProcessTransport.join(dir, name, rank, nodes, config); Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = mode.equals("inplace") ? c.allocateBuffer(count * 4L) : arena.allocate(count * 4L);
            for (Algorithm algorithm : Algorithm.values()) {
                for (int i = 0; i < count; i++) {
                    buffer.setAtIndex(ValueLayout.JAVA_FLOAT, i, (i % 13) * (rank + 1) + algorithm.ordinal());
                }
                ((ShmCommunicator) c).allReduce(buffer, count, ElementType.F32, algorithm);
                long hash = 17;
                for (int i = 0; i < count; i++) {
                    float expected = 0;
                    for (int r = 0; r < nodes.length; r++) {
                        expected += (i % 13) * (r + 1) + algorithm.ordinal();
                    }
                    float actual = buffer.getAtIndex(ValueLayout.JAVA_FLOAT, i);
                    if (actual != expected) {
                        throw new AssertionError(algorithm + " element " + i + ": expected " + expected + " got " + actual);
                    }
                    hash = hash * 31 + Float.floatToRawIntBits(actual);
                }
                System.out.println("RESULT " + algorithm + " " + hash);
            }
            c.barrier();
            if (mode.equals("hang")) {
                System.out.println("READY");
                System.out.flush();
                Thread.sleep(600_000); // stands for a rank that hangs; the test kills this process
            }
            c.allReduce(buffer, count, ElementType.F32);
            System.out.println("DONE");
        } catch (CollectiveException e) {
            System.out.println("COLLECTIVE-ERROR " + e.getMessage());
            System.out.flush();
            System.err.println("COLLECTIVE-ERROR " + e.getMessage());
            System.exit(3);
        }
    }
}
