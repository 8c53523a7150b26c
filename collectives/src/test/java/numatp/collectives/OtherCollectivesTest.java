package numatp.collectives;

import numatp.collectives.shm.FileGroups;
import numatp.collectives.shm.ThreadTransport;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OtherCollectivesTest {
    private static final long SLOT_BYTES = 1024;

    @TempDir
    Path tmp;

    @Test
    @Timeout(60)
    void allGatherReduceScatterAndBroadcastMatchNaiveResults() throws Exception {
        long seed = Long.getLong("numatp.test.seed", System.nanoTime());
        SplittableRandom random = new SplittableRandom(seed);
        for (int trial = 0; trial < 24; trial++) {
            int ranks = random.nextInt(1, trial % 3 == 0 ? 17 : 6);
            int[] nodes = TestData.randomNodes(random, ranks);
            ElementType type = ElementType.values()[random.nextInt(3)];
            int count = TestData.randomCount(random, SLOT_BYTES, 1);
            int root = random.nextInt(ranks);
            boolean files = trial % 4 == 3;
            String context = "seed=" + seed + " trial=" + trial + " ranks=" + ranks + " nodes=" + Arrays.toString(nodes)
                    + " type=" + type + " count=" + count + " root=" + root + (files ? " transport=file" : " transport=threads");
            CommunicatorConfig config = CommunicatorConfig.defaults().withSlotBytes(SLOT_BYTES).withTimeoutNs(20_000_000_000L);
            List<Communicator> group = files ? FileGroups.join(tmp, nodes, config) : ThreadTransport.create(nodes, config);
            try (Arena arena = Arena.ofShared()) {
                float[][] in = new float[ranks][];
                float[][] blocks = new float[ranks][];
                MemorySegment[] send = new MemorySegment[ranks];
                MemorySegment[] gathered = new MemorySegment[ranks];
                MemorySegment[] rsSend = new MemorySegment[ranks];
                MemorySegment[] rsReceive = new MemorySegment[ranks];
                MemorySegment[] bcast = new MemorySegment[ranks];
                for (int r = 0; r < ranks; r++) {
                    in[r] = TestData.values(random, count, type);
                    blocks[r] = TestData.values(random, count * ranks, type);
                    send[r] = TestData.segment(arena, in[r], type);
                    gathered[r] = TestData.segment(arena, new float[count * ranks], type);
                    rsSend[r] = TestData.segment(arena, blocks[r], type);
                    rsReceive[r] = TestData.segment(arena, new float[count], type);
                    bcast[r] = TestData.segment(arena, r == root ? in[r] : new float[count], type);
                }
                RankThreads.run(group, context, c -> {
                    int r = c.rank();
                    c.allGather(send[r], gathered[r], count, type);
                    c.reduceScatter(rsSend[r], rsReceive[r], count, type);
                    c.barrier();
                    c.broadcast(bcast[r], count, type, root);
                });
                float[] allGathered = new float[count * ranks];
                for (int r = 0; r < ranks; r++) {
                    System.arraycopy(in[r], 0, allGathered, r * count, count);
                }
                for (int r = 0; r < ranks; r++) {
                    assertArrayEquals(allGathered, TestData.read(gathered[r], count * ranks, type), context + " allGather rank " + r);
                    float[] expected = new float[count];
                    for (int i = 0; i < count; i++) {
                        float acc = blocks[0][r * count + i];
                        for (int q = 1; q < ranks; q++) {
                            acc += blocks[q][r * count + i];
                        }
                        expected[i] = ReferenceSums.round(type, acc);
                    }
                    assertArrayEquals(expected, TestData.read(rsReceive[r], count, type), context + " reduceScatter rank " + r);
                    assertArrayEquals(in[root], TestData.read(bcast[r], count, type), context + " broadcast rank " + r);
                    assertEquals(3.0f, TestData.read(rsReceive[r], count + 1, type)[count], context + ": wrote past count");
                }
            } finally {
                group.forEach(Communicator::close);
            }
        }
    }

    @Test
    @Timeout(30)
    void heapAndConfinedBuffersWorkWithEveryAlgorithm() throws Exception {
        for (Algorithm algorithm : Algorithm.values()) {
            List<Communicator> group = ThreadTransport.create(new int[] {0, 1, 1},
                    CommunicatorConfig.defaults().withAlgorithm(algorithm).withSlotBytes(SLOT_BYTES));
            try {
                float[][] results = new float[3][];
                RankThreads.run(group, algorithm.toString(), c -> {
                    float[] data = new float[1000];
                    Arrays.fill(data, c.rank() + 1);
                    c.allReduce(MemorySegment.ofArray(data), data.length, ElementType.F32);
                    try (Arena confined = Arena.ofConfined()) {
                        MemorySegment s = confined.allocate(4000);
                        s.copyFrom(MemorySegment.ofArray(data));
                        c.allReduce(s, 1000, ElementType.F32);
                        results[c.rank()] = s.toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT);
                    }
                });
                for (float[] r : results) {
                    float[] expected = new float[1000];
                    Arrays.fill(expected, 18f);
                    assertArrayEquals(expected, r, algorithm.toString());
                }
            } finally {
                group.forEach(Communicator::close);
            }
        }
    }

    @Test
    @Timeout(30)
    void statsCountInterNodeBytesOnlyWhenRanksSpanNodes() throws Exception {
        for (int[] nodes : new int[][] {{0, 0, 0, 0}, {0, 0, 1, 1}}) {
            List<Communicator> group = ThreadTransport.create(nodes,
                    CommunicatorConfig.defaults().withAlgorithm(Algorithm.HIERARCHICAL).withSlotBytes(SLOT_BYTES));
            try (Arena arena = Arena.ofShared()) {
                MemorySegment[] buffers = new MemorySegment[4];
                for (int r = 0; r < 4; r++) {
                    buffers[r] = arena.allocate(4096 * 4L);
                }
                RankThreads.run(group, Arrays.toString(nodes), c -> {
                    for (int i = 0; i < 3; i++) {
                        c.allReduce(buffers[c.rank()], 4096, ElementType.F32);
                    }
                });
                CommunicatorStats stats = group.get(0).stats();
                assertEquals(3, stats.calls());
                assertEquals(3 * 4096 * 4L, stats.bytesReduced());
                assertTrue(stats.localBytes() > 0, stats.toString());
                assertTrue(stats.waitNs() >= 0 && stats.workNs() > 0, stats.toString());
                if (nodes[3] == 0) {
                    assertEquals(0, stats.interNodeBytes(), stats.toString());
                } else {
                    // Hierarchical: each rank reads its slices' partial from the one remote node only.
                    assertEquals(3 * 4096 * 4L / 2, stats.interNodeBytes(), stats.toString());
                }
            } finally {
                group.forEach(Communicator::close);
            }
        }
    }
}
