package numatp.collectives.mpi;

import numatp.collectives.ElementType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Run by {@link MpiLoopbackTest} under mpirun, one process per rank. Modes:
 * {@code allreduce SEED}: the fixed-order allreduce over the world and the leaders equals a
 * sequential f32 sum in rank order bitwise, for awkward sizes; prints {@code OK <rank> ...}.
 * {@code tiers SEED TIMEOUT_MS [SHARDS_PER_RANK]}: the three tiers, each rank holding that many
 * shards (one thread each), equal each host's sums folded in host order bitwise on every shard.
 * {@code stop}: rank 1 sleeps before the first collective (a stopped host), so the others'
 * watchdog must end them. {@code kill}: rank 1 kills itself with SIGKILL before it.
 */
public final class MpiProbe {
    private static final long[] COUNTS = {0, 1, 7, 1000, 100_003};

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        long timeoutMs = args.length > 2 ? Long.parseLong(args[2]) : 30_000;
        try (MpiSession session = MpiSession.start(FfmMpiLibrary.load(), timeoutMs)) {
            System.out.println("session " + session.describe());
            if (mode.equals("stop") && session.worldRank() == 1) {
                Thread.sleep(600_000);
            }
            if (mode.equals("kill") && session.worldRank() == 1) {
                new ProcessBuilder("kill", "-9", Long.toString(ProcessHandle.current().pid())).start().waitFor();
                Thread.sleep(600_000);
            }
            long seed = Long.parseLong(args[1]);
            try (MpiCommunicator world = session.worldCommunicator()) {
                check(world, seed, "world");
            }
            if (session.isLeader()) {
                try (MpiCommunicator leaders = session.leaderCommunicator()) {
                    check(leaders, seed + 1, "leaders");
                }
            }
            if (mode.equals("tiers")) {
                int hostRanks = 0;
                for (int r = 0; r < session.worldSize(); r++) {
                    hostRanks += session.hostOfRank(r) == session.hostOfRank(session.worldRank()) ? 1 : 0;
                }
                int perRank = args.length > 3 ? Integer.parseInt(args[3]) : 1;
                if (perRank == 1) {
                    try (MultiHostCommunicator c = MultiHostCommunicator.join(session, new int[hostRanks],
                            numatp.collectives.CommunicatorConfig.defaults())) {
                        checkTiers(session, c, seed + 2);
                    }
                } else {
                    checkTiersOnThreads(MultiHostCommunicator.join(session, perRank, new int[hostRanks * perRank],
                            numatp.collectives.CommunicatorConfig.defaults()), session, seed + 2);
                }
            }
            System.out.println("OK " + session.worldRank() + " hosts " + session.hosts());
        }
    }

    private static void check(MpiCommunicator c, long seed, String what) {
        try (Arena arena = Arena.ofConfined()) {
            for (long count : COUNTS) {
                MemorySegment buffer = arena.allocate(Math.max(4, 4 * count), 64);
                fill(buffer, count, seed, c.rank());
                c.allReduce(buffer, count, ElementType.F32);
                float[] expected = new float[(int) count];
                float[] magnitude = new float[(int) count]; // sum of |v|: what any order's rounding scales with
                MemorySegment other = arena.allocate(Math.max(4, 4 * count), 64);
                for (int r = 0; r < c.size(); r++) {
                    fill(other, count, seed, r);
                    for (int i = 0; i < count; i++) {
                        float v = other.getAtIndex(ValueLayout.JAVA_FLOAT, i);
                        expected[i] = r == 0 ? v : expected[i] + v;
                        magnitude[i] += Math.abs(v);
                    }
                }
                for (int i = 0; i < count; i++) {
                    float got = buffer.getAtIndex(ValueLayout.JAVA_FLOAT, i);
                    if (Float.floatToRawIntBits(got) != Float.floatToRawIntBits(expected[i])) {
                        throw new AssertionError(what + " rank " + c.rank() + " count " + count + " element " + i
                                + ": " + got + " vs sequential " + expected[i]);
                    }
                }
                // MPI's own allreduce: the same sum up to its order (within a few ulp)
                fill(buffer, count, seed, c.rank());
                c.mpiAllReduce(buffer, count);
                for (int i = 0; i < count; i++) {
                    float got = buffer.getAtIndex(ValueLayout.JAVA_FLOAT, i);
                    if (Math.abs(got - expected[i]) > 1e-6f * magnitude[i]) {
                        throw new AssertionError(what + " MPI_Allreduce count " + count + " element " + i + ": " + got
                                + " vs " + expected[i]);
                    }
                }
            }
            c.barrier();
        }
    }

    /** {@link #checkTiers} on each held shard's own thread, all at once (as an engine's shard teams call them). */
    private static void checkTiersOnThreads(List<MultiHostCommunicator> held, MpiSession session, long seed)
            throws InterruptedException {
        List<Thread> threads = new ArrayList<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (MultiHostCommunicator c : held) {
            threads.add(Thread.ofPlatform().start(() -> {
                try (c) {
                    checkTiers(session, c, seed);
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                    c.abort("shard " + c.rank() + " failed: " + t);
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        if (failure.get() instanceof Error e) {
            throw e;
        }
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
    }

    /** Three tiers: each host's sum in rank order, the hosts' sums folded in host order; allgather; broadcast. */
    private static void checkTiers(MpiSession session, MultiHostCommunicator c, long seed) {
        try (Arena arena = Arena.ofConfined()) {
            for (long count : COUNTS) {
                MemorySegment buffer = arena.allocate(Math.max(4, 4 * count), 64);
                fill(buffer, count, seed, c.rank());
                c.allReduce(buffer, count, ElementType.F32);
                MemorySegment other = arena.allocate(Math.max(4, 4 * count), 64);
                float[] total = new float[(int) count];
                float[] host = new float[(int) count];
                for (int r = 0; r < c.size(); r++) {
                    fill(other, count, seed, r);
                    boolean firstOfHost = r == 0 || c.hostOfRank(r) != c.hostOfRank(r - 1);
                    for (int i = 0; i < count; i++) {
                        float v = other.getAtIndex(ValueLayout.JAVA_FLOAT, i);
                        host[i] = firstOfHost ? v : host[i] + v;
                    }
                    boolean lastOfHost = r == c.size() - 1 || c.hostOfRank(r) != c.hostOfRank(r + 1);
                    if (lastOfHost) {
                        for (int i = 0; i < count; i++) {
                            total[i] = c.hostOfRank(r) == 0 ? host[i] : total[i] + host[i];
                        }
                    }
                }
                for (int i = 0; i < count; i++) {
                    float got = buffer.getAtIndex(ValueLayout.JAVA_FLOAT, i);
                    if (Float.floatToRawIntBits(got) != Float.floatToRawIntBits(total[i])) {
                        throw new AssertionError("tiers rank " + c.rank() + " count " + count + " element " + i + ": "
                                + got + " vs hosts' sums in order " + total[i]);
                    }
                }
            }
            // allgather: rank r's block is r's values
            MemorySegment send = arena.allocate(4 * 5);
            fill(send, 5, seed, c.rank());
            MemorySegment all = arena.allocate(4L * 5 * c.size());
            c.allGather(send, all, 5, ElementType.F32);
            MemorySegment expected = arena.allocate(4 * 5);
            for (int r = 0; r < c.size(); r++) {
                fill(expected, 5, seed, r);
                if (MemorySegment.mismatch(expected, 0, 20, all, 20L * r, 20L * r + 20) >= 0) {
                    throw new AssertionError("tiers allGather block " + r + " on rank " + c.rank());
                }
            }
            // broadcast from every root
            for (int root = 0; root < c.size(); root++) {
                MemorySegment b = arena.allocate(4 * 3);
                fill(b, 3, seed + 100 + c.rank(), 0);
                if (c.rank() == root) {
                    fill(b, 3, seed + 7, root);
                }
                c.broadcast(b, 3, ElementType.F32, root);
                fill(expected, 3, seed + 7, root);
                if (MemorySegment.mismatch(expected, 0, 12, b, 0, 12) >= 0) {
                    throw new AssertionError("tiers broadcast from " + root + " on rank " + c.rank());
                }
            }
            c.barrier();
            System.out.println("tiers " + c.rank() + " of " + c.size() + " ok");
        }
    }

    /** Rank r's values: seeded, of mixed magnitudes so that the order of the sum matters. */
    private static void fill(MemorySegment buffer, long count, long seed, int rank) {
        SplittableRandom rnd = new SplittableRandom(seed * 31 + rank);
        for (long i = 0; i < count; i++) {
            buffer.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(-3, 4))));
        }
    }
}
