package numatp.models.tp;

import numatp.collectives.Communicator;
import numatp.collectives.CommunicatorConfig;
import numatp.collectives.CommunicatorStats;
import numatp.collectives.ElementType;
import numatp.collectives.shm.ThreadTransport;
import numatp.collectives.team.ShardFailedException;
import numatp.collectives.team.ShardGroup;
import numatp.collectives.team.WorkerOptions;
import numatp.models.LlamaConfig;
import numatp.models.ModelException;
import numatp.models.RandomModels;
import numatp.topology.IdSet;
import numatp.topology.binding.NumaBinder;
import numatp.topology.binding.ShardBinding;
import numatp.weights.ArenaSliceAllocator;
import numatp.weights.ModelTensors;
import numatp.weights.TensorType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link TpEngine} as a {@link SequenceEngine}: random interleavings of several sequences
 * (prefill chunks and single entries, slots reused for new sequences) give, per sequence
 * and position, bitwise the logits of that sequence run alone one entry per step; and
 * broken step arguments are clear {@link ModelException}s.
 */
class SequenceEngineTest {
    private static final LlamaConfig SHAPE = new LlamaConfig(64, 96, 2, 8, 4, 67, 24, 10000f, 1e-5f);

    @ParameterizedTest
    @EnumSource(value = TensorType.class, names = {"F32", "Q8_0", "Q4_0", "F16"})
    @Timeout(60)
    void interleavedBatchesGiveEachSequenceItsAloneLogitsBitwise(TensorType type) {
        long seed = new SplittableRandom().nextLong();
        System.out.println("SequenceEngineTest " + type + " seed=" + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        ModelTensors m = RandomModels.create(SHAPE, type, rnd.nextLong());
        for (int shards : new int[] {1, 2, 3}) {
            String what = type + " shards=" + shards + " seed=" + seed;
            int slots = 3;
            int maxBatch = 7;
            List<int[]> sequences = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                int[] tokens = new int[1 + rnd.nextInt(SHAPE.contextLength())];
                for (int j = 0; j < tokens.length; j++) {
                    tokens[j] = rnd.nextInt(SHAPE.vocabSize());
                }
                sequences.add(tokens);
            }
            float[][][] alone = new float[sequences.size()][][];
            try (Arena arena = Arena.ofShared();
                 TpEngine one = new TpEngine(m, shards, new TpEngine.Capacity(1, SHAPE.contextLength(), 1),
                         new ArenaSliceAllocator(arena), null)) {
                for (int s = 0; s < sequences.size(); s++) {
                    alone[s] = runAlone(one, sequences.get(s));
                }
            }
            try (Arena arena = Arena.ofShared();
                 TpEngine engine = new TpEngine(m, shards,
                         new TpEngine.Capacity(slots, SHAPE.contextLength(), maxBatch),
                         new ArenaSliceAllocator(arena), null)) {
                interleave(engine, sequences, alone, rnd, what);
                assertTrue(engine.counters().entries() >= sequences.stream().mapToInt(t -> t.length).sum(), what);
            }
        }
        m.close();
    }

    private static float[][] runAlone(TpEngine engine, int[] tokens) {
        float[][] out = new float[tokens.length][];
        for (int p = 0; p < tokens.length; p++) {
            float[][] logits = {new float[SHAPE.vocabSize()]};
            engine.step(1, new int[] {tokens[p]}, new int[] {0}, new int[] {p}, logits);
            out[p] = logits[0];
        }
        return out;
    }

    /** Runs every sequence to its end through random batches; each slot takes the next waiting sequence. */
    private static void interleave(TpEngine engine, List<int[]> sequences, float[][][] alone, SplittableRandom rnd,
                                   String what) {
        int slots = engine.slots();
        int max = engine.maxBatchEntries();
        int[] seqOfSlot = new int[slots];
        int[] posOfSlot = new int[slots];
        Arrays.fill(seqOfSlot, -1);
        int nextSeq = 0;
        int finished = 0;
        int[] tokens = new int[max];
        int[] slotArg = new int[max];
        int[] positions = new int[max];
        float[][] logits = new float[max][];
        int[] seqOfEntry = new int[max];
        while (finished < sequences.size()) {
            for (int s = 0; s < slots; s++) {
                if (seqOfSlot[s] < 0 && nextSeq < sequences.size()) {
                    seqOfSlot[s] = nextSeq++;
                    posOfSlot[s] = 0;
                }
            }
            int n = 0;
            int first = rnd.nextInt(slots);
            for (int k = 0; k < slots && n < max; k++) {
                int s = (first + k) % slots;
                if (seqOfSlot[s] < 0 || rnd.nextInt(4) == 0) {
                    continue;
                }
                int[] seq = sequences.get(seqOfSlot[s]);
                int take = Math.min(Math.min(seq.length - posOfSlot[s], max - n), 1 + rnd.nextInt(5));
                for (int j = 0; j < take; j++) {
                    int p = posOfSlot[s]++;
                    tokens[n] = seq[p];
                    slotArg[n] = s;
                    positions[n] = p;
                    seqOfEntry[n] = seqOfSlot[s];
                    logits[n] = rnd.nextInt(3) == 0 && j < take - 1 ? null : new float[SHAPE.vocabSize()];
                    n++;
                }
            }
            engine.step(n, tokens, slotArg, positions, logits);
            for (int i = 0; i < n; i++) {
                if (logits[i] != null) {
                    assertArrayEquals(alone[seqOfEntry[i]][positions[i]], logits[i],
                            what + ": sequence " + seqOfEntry[i] + " position " + positions[i] + " in a batch of " + n);
                }
            }
            for (int s = 0; s < slots; s++) {
                if (seqOfSlot[s] >= 0 && posOfSlot[s] == sequences.get(seqOfSlot[s]).length) {
                    seqOfSlot[s] = -1;
                    finished++;
                }
            }
        }
    }

    @Test
    @Timeout(60)
    void generatePrefillsInBatchesOfAnySizeWithTheSameTokens() {
        ModelTensors m = RandomModels.create(SHAPE, TensorType.Q4_0, 11);
        int[] prompt = {1, 5, 9, 13, 17, 21, 25, 29, 33, 37};
        List<List<Integer>> results = new ArrayList<>();
        for (int maxBatch : new int[] {1, 3, 10, 16}) {
            List<Integer> tokens = new ArrayList<>();
            try (Arena arena = Arena.ofShared();
                 TpEngine e = new TpEngine(m, 2, new TpEngine.Capacity(1, SHAPE.contextLength(), maxBatch),
                         new ArenaSliceAllocator(arena), null)) {
                TpEngine.Stats st = e.generate(prompt, 20, new TpEngine.Sampling(0f, 0.9f, 0, 1),
                        (prev, next) -> tokens.add(next));
                assertEquals(10, st.promptTokens(), "maxBatch=" + maxBatch);
                assertEquals(Math.ceilDiv(10, maxBatch) + st.decodeTokens(), e.counters().steps(), "maxBatch=" + maxBatch);
            }
            results.add(tokens);
        }
        for (List<Integer> r : results) {
            assertEquals(results.getFirst(), r);
        }
        for (int i = 1; i < prompt.length; i++) {
            assertEquals(prompt[i], results.getFirst().get(i - 1), "the listener sees the prompt's own tokens first");
        }
        m.close();
    }

    @Test
    @Timeout(60)
    void teamsOfSeveralThreadsSplitRowsWithoutChangingLogits() {
        long seed = new SplittableRandom().nextLong();
        System.out.println("SequenceEngineTest teams seed=" + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        ModelTensors m = RandomModels.create(SHAPE, TensorType.Q8_0, rnd.nextLong());
        TpEngine.Capacity cap = new TpEngine.Capacity(2, SHAPE.contextLength(), 6);
        try (Arena arena = Arena.ofShared();
             ShardGroup group = ShardGroup.start(List.of(new ShardBinding(0, 0, IdSet.empty(), 3),
                     new ShardBinding(1, 0, IdSet.empty(), 2)), WorkerOptions.unbound(), NumaBinder.system());
             TpEngine teams = new TpEngine(m, group, cap, new ArenaSliceAllocator(arena), null);
             TpEngine single = new TpEngine(m, 2, cap, new ArenaSliceAllocator(arena), null)) {
            int[] next = new int[2];
            for (int step = 0; step < 10; step++) {
                int n = 0;
                int[] tokens = new int[6];
                int[] slots = new int[6];
                int[] positions = new int[6];
                for (int s = 0; s < 2; s++) {
                    int take = 1 + rnd.nextInt(3);
                    for (int j = 0; j < take && next[s] < SHAPE.contextLength(); j++) {
                        tokens[n] = rnd.nextInt(SHAPE.vocabSize());
                        slots[n] = s;
                        positions[n++] = next[s]++;
                    }
                }
                float[][] a = new float[6][];
                float[][] b = new float[6][];
                for (int i = 0; i < n; i++) {
                    a[i] = new float[SHAPE.vocabSize()];
                    b[i] = new float[SHAPE.vocabSize()];
                }
                teams.step(n, tokens, slots, positions, a);
                single.step(n, tokens, slots, positions, b);
                for (int i = 0; i < n; i++) {
                    assertArrayEquals(b[i], a[i], "step " + step + " entry " + i + " seed=" + seed);
                }
            }
        }
        m.close();
    }

    @Test
    @Timeout(30)
    void aFailingShardFailsTheStepAndTheEngineRefusesMore() {
        ModelTensors m = RandomModels.create(SHAPE, TensorType.F32, 3);
        List<Communicator> comms = ThreadTransport.create(new int[2], CommunicatorConfig.defaults());
        Communicator[] wrapped = {comms.get(0), new FailingAllReduce(comms.get(1))};
        try (Arena arena = Arena.ofShared();
             TpEngine e = new TpEngine(m, 2, new TpEngine.Capacity(1, 8, 2), new ArenaSliceAllocator(arena),
                     wrapped)) {
            float[][] l = {new float[SHAPE.vocabSize()]};
            ShardFailedException f = assertThrows(ShardFailedException.class,
                    () -> e.step(1, new int[] {1}, new int[1], new int[1], l));
            assertEquals(1, f.shard());
            assertTrue(f.getMessage().contains("injected"), f.getMessage());
            assertMessage("failed in an earlier step", () -> e.step(1, new int[] {1}, new int[1], new int[1], l));
        }
        m.close();
    }

    /** Rank 1's communicator whose allReduce throws (the other rank is released by the engine's abort hook). */
    private record FailingAllReduce(Communicator c) implements Communicator {
        @Override
        public int rank() {
            return c.rank();
        }

        @Override
        public int size() {
            return c.size();
        }

        @Override
        public int nodeOfRank(int rank) {
            return c.nodeOfRank(rank);
        }

        @Override
        public void allReduce(MemorySegment buffer, long count, ElementType type) {
            throw new IllegalStateException("injected failure");
        }

        @Override
        public java.util.List<numatp.collectives.RegionPlacement> regionPlacements() {
            return c.regionPlacements();
        }

        @Override
        public void allGather(MemorySegment send, MemorySegment receive, long countPerRank, ElementType type) {
            c.allGather(send, receive, countPerRank, type);
        }

        @Override
        public void reduceScatter(MemorySegment send, MemorySegment receive, long countPerRank, ElementType type) {
            c.reduceScatter(send, receive, countPerRank, type);
        }

        @Override
        public void broadcast(MemorySegment buffer, long count, ElementType type, int root) {
            c.broadcast(buffer, count, type, root);
        }

        @Override
        public CommunicatorStats stats() {
            return c.stats();
        }

        @Override
        public void barrier() {
            c.barrier();
        }

        @Override
        public void abort(String reason) {
            c.abort(reason);
        }

        @Override
        public void close() {
            c.close();
        }
    }

    @Test
    @Timeout(30)
    void rejectsBrokenStepArguments() {
        ModelTensors m = RandomModels.create(SHAPE, TensorType.F32, 1);
        try (Arena arena = Arena.ofShared();
             TpEngine e = new TpEngine(m, 2, new TpEngine.Capacity(2, 8, 4), new ArenaSliceAllocator(arena), null)) {
            float[] l = new float[SHAPE.vocabSize()];
            assertMessage("slot must be in [0, 2): 2",
                    () -> e.step(1, new int[] {5}, new int[] {2}, new int[] {0}, new float[][] {l}));
            assertMessage("n must be in [0, 4] (max batch entries): 5",
                    () -> e.step(5, new int[5], new int[5], new int[] {0, 1, 2, 3, 4}, new float[5][]));
            assertMessage("positions of a slot must be consecutive: 0 then 2",
                    () -> e.step(2, new int[2], new int[] {0, 0}, new int[] {0, 2}, new float[2][]));
            assertMessage("does not continue the slot (expected 0 or 0)",
                    () -> e.step(1, new int[1], new int[] {1}, new int[] {3}, new float[1][]));
            assertMessage("entries of slot 0 must be adjacent",
                    () -> e.step(3, new int[3], new int[] {0, 1, 0}, new int[] {0, 0, 1}, new float[3][]));
            assertMessage("token must be in [0, 67): 67",
                    () -> e.step(1, new int[] {67}, new int[1], new int[1], new float[1][]));
            assertMessage("position must be in [0, 8) (slot positions): 8",
                    () -> e.step(1, new int[1], new int[1], new int[] {8}, new float[1][]));
            assertMessage("logits array has 3 floats",
                    () -> e.step(1, new int[1], new int[1], new int[1], new float[][] {new float[3]}));
            // The engine is still usable after rejected arguments, and continues slots as they are.
            e.step(2, new int[] {1, 2}, new int[] {1, 1}, new int[] {0, 1}, new float[][] {null, l});
            assertMessage("expected 0 or 2",
                    () -> e.step(1, new int[1], new int[] {1}, new int[] {1}, new float[1][]));
            e.step(1, new int[] {3}, new int[] {1}, new int[] {2}, new float[][] {l});
            assertEquals(2, e.counters().steps());
            assertEquals(3, e.counters().entries());
        }
        assertMessage("max batch entries must be >= 1: 0", () -> new TpEngine.Capacity(1, 8, 0));
        m.close();
    }

    private static void assertMessage(String part, org.junit.jupiter.api.function.Executable call) {
        ModelException e = assertThrows(ModelException.class, call);
        assertTrue(e.getMessage().contains(part), "expected '" + part + "' in: " + e.getMessage());
    }
}
