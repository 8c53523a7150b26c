package numatp.collectives.numavm;

import numatp.collectives.Algorithm;
import numatp.collectives.Communicator;
import numatp.collectives.CommunicatorConfig;
import numatp.collectives.ElementType;
import numatp.collectives.RegionPlacement;
import numatp.collectives.shm.ProcessTransport;
import numatp.collectives.shm.ShmCommunicator;
import numatp.collectives.shm.ThreadTransport;
import numatp.topology.IdSet;
import numatp.topology.binding.NumaBinder;
import numatp.topology.linux.KernelFiles;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs inside a numa-vm guest: a 2-rank group with rank r on node r, over threads and over a
 * file (the process transport's layout, ranks as threads). Every rank runs allreduces of 1 MiB
 * and checks the sums; then the probe prints where each rank's region is ({@code PROBE
 * key=value} lines for {@link NumaVmRegionsTest}). Both rank threads run on node 0's CPUs on
 * purpose: first touch alone would then put both regions on node 0, so rank 1's region can
 * only be on node 1 because it was bound there.
 */
public final class RegionProbe {
    private static final int[] NODES = {0, 1};
    private static final long COUNT = 1 << 18; // 1 MiB of f32 per rank: every page of slot 0 is written
    private static final int CALLS = 4;

    private RegionProbe() {
    }

    public static void main(String[] args) throws Exception {
        CommunicatorConfig config = CommunicatorConfig.defaults().withAlgorithm(Algorithm.HIERARCHICAL);
        report("threads", ThreadTransport.create(NODES, config));
        report("files", joinFileGroup(config));
        System.out.println("PROBE done=true");
    }

    private static List<Communicator> joinFileGroup(CommunicatorConfig config) throws Exception {
        String name = ProcessTransport.uniqueName();
        List<Communicator> group = new ArrayList<>();
        List<Thread> joins = new ArrayList<>();
        Communicator[] joined = new Communicator[NODES.length];
        for (int r = 0; r < NODES.length; r++) {
            int rank = r;
            // /tmp: a tmpfs in the guest (its /dev/shm is the host's read-only root).
            joins.add(Thread.ofPlatform().start(() -> joined[rank] = ProcessTransport.join(Path.of("/tmp"), name, rank,
                    NODES, config)));
        }
        for (Thread t : joins) {
            t.join();
        }
        group.addAll(List.of(joined));
        return group;
    }

    private static void report(String transport, List<Communicator> group) throws InterruptedException {
        AtomicReference<String> failure = new AtomicReference<>();
        List<Thread> ranks = new ArrayList<>();
        for (Communicator c : group) {
            ranks.add(Thread.ofPlatform().start(() -> {
                try {
                    rank(c);
                } catch (Throwable e) {
                    failure.compareAndSet(null, "rank " + c.rank() + ": " + e);
                    c.abort(String.valueOf(e));
                }
            }));
        }
        for (Thread t : ranks) {
            t.join();
        }
        System.out.println("PROBE " + transport + ".allreduce=" + (failure.get() == null ? "ok" : failure.get()));
        for (RegionPlacement p : group.getFirst().regionPlacements()) {
            String key = "PROBE " + transport + ".region" + p.rank();
            System.out.println(key + ".policy=" + p.policy());
            System.out.println(key + ".obtained=" + p.obtainedNode());
            System.out.println(key + ".onWanted=" + p.onWantedNode());
            System.out.println(key + ".summary=" + p.summary());
        }
        group.forEach(Communicator::close);
    }

    /** Pins to node 0, then runs allreduces of rank-specific data and checks every element. */
    private static void rank(Communicator c) {
        IdSet cpus = KernelFiles.system().nodeCpus(0).orElseThrow();
        NumaBinder.system().pinCurrentThreadToCpus(cpus);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(COUNT * 4, 64);
            for (int call = 0; call < CALLS; call++) {
                for (long i = 0; i < COUNT; i++) {
                    buffer.setAtIndex(ValueLayout.JAVA_FLOAT, i, value(c.rank(), call, i));
                }
                ((ShmCommunicator) c).allReduce(buffer, COUNT, ElementType.F32, Algorithm.HIERARCHICAL);
                for (long i = 0; i < COUNT; i++) {
                    float expected = value(0, call, i) + value(1, call, i);
                    float got = buffer.getAtIndex(ValueLayout.JAVA_FLOAT, i);
                    if (got != expected) {
                        throw new IllegalStateException("call " + call + " element " + i + ": " + got + ", expected " + expected);
                    }
                }
            }
        }
    }

    /** Small multiples of 1/64: every sum is exact in f32. */
    private static float value(int rank, int call, long i) {
        return ((i * 7 + rank * 13 + call) % 512) / 64f;
    }
}
