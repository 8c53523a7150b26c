package numatp.collectives;

import numatp.collectives.shm.ShmCommunicator;
import numatp.collectives.shm.ThreadTransport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

public class AllReduceDifferentialTest {
    private static final long SLOT_BYTES = 1024;

    @Test
    @Timeout(60)
    void everyAlgorithmMatchesItsFixedOrderSumBitwiseOnEveryRank() throws Exception {
        long seed = Long.getLong("numatp.test.seed", System.nanoTime());
        SplittableRandom random = new SplittableRandom(seed);
        for (int trial = 0; trial < 40; trial++) {
            int ranks = trial < 4 ? new int[] {1, 2, 8, 16}[trial] : random.nextInt(1, random.nextBoolean() ? 6 : 17);
            int[] nodes = TestData.randomNodes(random, ranks);
            Algorithm algorithm = Algorithm.values()[trial % Algorithm.values().length];
            ElementType type = ElementType.values()[random.nextInt(ElementType.values().length)];
            int count = TestData.randomCount(random, SLOT_BYTES, ranks);
            String context = "seed=" + seed + " trial=" + trial + " ranks=" + ranks + " nodes=" + Arrays.toString(nodes)
                    + " algorithm=" + algorithm + " type=" + type + " count=" + count;
            checkAllReduce(random, nodes, algorithm, type, count, 2, context);
        }
    }

    @Test
    @Timeout(30)
    void eightRanksOnTwoCoresRunManyConsecutiveCallsWithoutExtraBarriers() throws Exception {
        long seed = Long.getLong("numatp.test.seed", System.nanoTime());
        SplittableRandom random = new SplittableRandom(seed);
        for (Algorithm algorithm : List.of(Algorithm.ONESHOT, Algorithm.RING, Algorithm.HIERARCHICAL)) {
            checkAllReduce(random, new int[] {0, 0, 0, 0, 1, 1, 1, 1}, algorithm, ElementType.F32, 300, 50,
                    "seed=" + seed + " algorithm=" + algorithm);
        }
    }

    @Test
    @Timeout(30)
    void oneNodeGroupsWithSomeConfinedBuffersFallBackToTheSlotsAndStillMatch() throws Exception {
        long seed = Long.getLong("numatp.test.seed", System.nanoTime());
        SplittableRandom random = new SplittableRandom(seed);
        for (int trial = 0; trial < 12; trial++) {
            int ranks = random.nextInt(2, 7);
            int count = TestData.randomCount(random, SLOT_BYTES, ranks);
            ElementType type = ElementType.values()[random.nextInt(ElementType.values().length)];
            int confinedRank = random.nextInt(-1, ranks); // -1: every buffer shared, the direct in-place path
            String context = "seed=" + seed + " trial=" + trial + " ranks=" + ranks + " type=" + type + " count=" + count
                    + " confined rank=" + confinedRank;
            int[] nodes = new int[ranks];
            List<Communicator> group = ThreadTransport.create(nodes, CommunicatorConfig.defaults()
                    .withAlgorithm(Algorithm.HIERARCHICAL).withSlotBytes(SLOT_BYTES).withTimeoutNs(20_000_000_000L));
            float[][][] inputs = new float[3][ranks][];
            for (float[][] call : inputs) {
                for (int r = 0; r < ranks; r++) {
                    call[r] = TestData.values(random, count, type);
                }
            }
            try {
                RankThreads.run(group, context, c -> {
                    try (Arena arena = c.rank() == confinedRank ? Arena.ofConfined() : Arena.ofShared()) {
                        for (float[][] call : inputs) {
                            MemorySegment buffer = TestData.segment(arena, call[c.rank()], type);
                            c.allReduce(buffer, count, type);
                            float[] expected = ReferenceSums.expected(Algorithm.HIERARCHICAL, call, nodes, SLOT_BYTES, type);
                            for (int i = 0; i < count; i++) {
                                float got = numatp.collectives.reduce.Reductions.load(type, buffer, (long) i * type.sizeBytes());
                                if (Float.floatToRawIntBits(got) != Float.floatToRawIntBits(expected[i])) {
                                    fail(context + ": rank " + c.rank() + " element " + i + " = " + got + ", expected " + expected[i]);
                                }
                            }
                        }
                    }
                });
            } finally {
                group.forEach(Communicator::close);
            }
        }
    }

    static void checkAllReduce(SplittableRandom random, int[] nodes, Algorithm algorithm, ElementType type, int count,
                               int calls, String context) throws Exception {
        checkAllReduce(random, nodes, algorithm, type, count, calls, context, config -> ThreadTransport.create(nodes, config));
    }

    public interface GroupFactory {
        List<Communicator> create(CommunicatorConfig config) throws Exception;
    }

    /** Runs {@code calls} allreduces on a group from {@code factory} and checks them against {@link ReferenceSums}. */
    public static void checkAllReduce(SplittableRandom random, int[] nodes, Algorithm algorithm, ElementType type, int count,
                                      int calls, String context, GroupFactory factory) throws Exception {
        int ranks = nodes.length;
        CommunicatorConfig config = CommunicatorConfig.defaults().withAlgorithm(algorithm).withSlotBytes(SLOT_BYTES)
                .withOneshotMaxBytes(512).withTimeoutNs(20_000_000_000L);
        List<Communicator> group = factory.create(config);
        try (Arena arena = Arena.ofShared()) {
            Algorithm resolved = ((ShmCommunicator) group.get(0)).resolve((long) count * type.sizeBytes());
            float[][][] inputs = new float[calls][ranks][];
            MemorySegment[][] buffers = new MemorySegment[calls][ranks];
            for (int call = 0; call < calls; call++) {
                for (int r = 0; r < ranks; r++) {
                    inputs[call][r] = TestData.values(random, count, type);
                    buffers[call][r] = TestData.segment(arena, inputs[call][r], type);
                }
            }
            RankThreads.run(group, context, c -> {
                for (int call = 0; call < calls; call++) {
                    c.allReduce(buffers[call][c.rank()], count, type);
                }
            });
            for (int call = 0; call < calls; call++) {
                float[] expected = ReferenceSums.expected(resolved, inputs[call], nodes, SLOT_BYTES, type);
                for (int r = 0; r < ranks; r++) {
                    float[] actual = TestData.read(buffers[call][r], count, type);
                    for (int i = 0; i < count; i++) {
                        if (Float.floatToRawIntBits(actual[i]) != Float.floatToRawIntBits(expected[i])) {
                            fail(context + " (resolved " + resolved + "): call " + call + " rank " + r + " element " + i
                                    + ": expected " + expected[i] + " but was " + actual[i]);
                        }
                    }
                    assertEquals(3.0f, TestData.read(buffers[call][r], count + 1, type)[count], context + ": wrote past count");
                }
            }
        } finally {
            group.forEach(Communicator::close);
        }
    }
}
