package numatp.collectives.shm;

import numatp.collectives.Algorithm;
import numatp.collectives.CollectiveException;
import numatp.collectives.Communicator;
import numatp.collectives.CommunicatorConfig;
import numatp.collectives.ElementType;
import numatp.collectives.RankThreadsAccess;
import numatp.collectives.reduce.Reductions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Process groups whose buffers come from {@link Communicator#allocateBuffer}: peers read them in
 * the shared file instead of staged copies, with the staged path's bits. Ranks are threads that
 * each map the file themselves ({@link FileGroups}), so they share no memory but the file.
 */
class InPlaceAllReduceTest {
    private static final long SLOT_BYTES = 1024; // small: the staged path runs several chunks
    private static final int CALLS = 2;

    @TempDir
    Path dir;

    @Test
    @Timeout(120)
    void inPlaceBuffersGetTheStagedBitsAndOnOneNodeTheAscendingSum() throws Exception {
        long seed = Long.getLong("numatp.test.seed", System.nanoTime());
        SplittableRandom random = new SplittableRandom(seed);
        for (int trial = 0; trial < 16; trial++) {
            int ranks = trial < 3 ? new int[] {2, 3, 6}[trial] : random.nextInt(1, 7);
            int[] nodes = new int[ranks];
            boolean oneNode = trial % 2 == 0;
            for (int r = 0; r < ranks; r++) {
                nodes[r] = oneNode ? 0 : random.nextInt(2);
            }
            ElementType type = ElementType.values()[random.nextInt(ElementType.values().length)];
            int count = switch (random.nextInt(4)) {
                case 0 -> random.nextInt(0, 3);
                case 1 -> random.nextInt(3, 200);
                default -> random.nextInt(200, 4000); // up to 16 KB: several chunks on the staged path
            };
            String context = "seed=" + seed + " trial=" + trial + " nodes=" + Arrays.toString(nodes) + " type=" + type
                    + " count=" + count;
            float[][][] inputs = new float[CALLS][ranks][];
            for (float[][] call : inputs) {
                for (int r = 0; r < ranks; r++) {
                    call[r] = values(random, count, type);
                }
            }
            long bufferBytes = CALLS * ((long) count * type.sizeBytes() + 64);
            float[][][] staged = run(inputs, nodes, type, count, 0, context);
            float[][][] inPlace = run(inputs, nodes, type, count, bufferBytes, context);
            for (int call = 0; call < CALLS; call++) {
                float[] ascending = ascendingSum(inputs[call], type);
                for (int r = 0; r < ranks; r++) {
                    for (int i = 0; i < count; i++) {
                        int got = Float.floatToRawIntBits(inPlace[call][r][i]);
                        if (got != Float.floatToRawIntBits(staged[call][r][i])
                                || oneNode && got != Float.floatToRawIntBits(ascending[i])) {
                            fail(context + ": call " + call + " rank " + r + " element " + i + ": in place "
                                    + inPlace[call][r][i] + ", staged " + staged[call][r][i] + ", ascending sum "
                                    + ascending[i]);
                        }
                    }
                }
            }
        }
    }

    @Test
    @Timeout(60)
    void inPlaceCallsStageNoInputInTheSlots() throws Exception {
        int[] nodes = {0, 0, 0}; // one node: two epochs per chunk
        CommunicatorConfig config = config(4096);
        List<Communicator> group = FileGroups.join(dir, nodes, config);
        try {
            RankThreadsAccess.run(group, c -> {
                MemorySegment buffer = c.allocateBuffer(4000);
                for (int call = 0; call < 3; call++) {
                    for (int i = 0; i < 1000; i++) {
                        buffer.setAtIndex(ValueLayout.JAVA_FLOAT, i, c.rank() * 10 + call + i);
                    }
                    c.allReduce(buffer, 1000, ElementType.F32);
                    for (int i = 0; i < 1000; i++) {
                        assertEquals(30 + 3 * (call + i), buffer.getAtIndex(ValueLayout.JAVA_FLOAT, i),
                                "call " + call + " element " + i);
                    }
                }
            });
            for (Communicator c : group) {
                // From sequence 0, inputs go with odd sequences (slot 1), partials with even (slot 0).
                MemorySegment inputSlot = ((ShmCommunicator) c).regions[c.rank()]
                        .asSlice(RankLayout.slot(1, SLOT_BYTES), SLOT_BYTES);
                assertEquals(-1, inputSlot.mismatch(MemorySegment.ofArray(new byte[(int) SLOT_BYTES])),
                        "rank " + c.rank() + " staged no input in its slot");
            }
        } finally {
            group.forEach(Communicator::close);
        }
    }

    @Test
    @Timeout(60)
    void aProcessGroupRefusesBuffersPastItsAreaAndThreadsFallBackToPrivateMemory() throws Exception {
        List<Communicator> processes = FileGroups.join(dir, new int[] {0, 0}, config(128));
        try {
            Communicator c = processes.get(0);
            assertEquals(100, c.allocateBuffer(100).byteSize());
            CollectiveException e = assertThrows(CollectiveException.class, () -> c.allocateBuffer(65));
            assertTrue(e.getMessage().contains("buffer area of 128 bytes has 0 left, asked for 65"), e.getMessage());
        } finally {
            processes.forEach(Communicator::close);
        }
        List<Communicator> threads = ThreadTransport.create(new int[] {0, 0}, config(128));
        try {
            MemorySegment inArea = threads.get(0).allocateBuffer(128);
            MemorySegment past = threads.get(0).allocateBuffer(64);
            assertEquals(64, past.byteSize());
            assertTrue(past.address() < inArea.address() || past.address() >= inArea.address() + 128);
        } finally {
            threads.forEach(Communicator::close);
        }
    }

    private static CommunicatorConfig config(long bufferBytes) {
        return CommunicatorConfig.defaults().withAlgorithm(Algorithm.HIERARCHICAL).withSlotBytes(SLOT_BYTES)
                .withTimeoutNs(20_000_000_000L).withBufferBytes(bufferBytes);
    }

    /** Every call's result on every rank, buffers from {@code allocateBuffer} when {@code bufferBytes > 0}. */
    private float[][][] run(float[][][] inputs, int[] nodes, ElementType type, int count, long bufferBytes,
                            String context) throws Exception {
        int es = type.sizeBytes();
        float[][][] out = new float[inputs.length][nodes.length][];
        List<Communicator> group = FileGroups.join(dir, nodes, config(bufferBytes));
        try (Arena arena = Arena.ofShared()) {
            RankThreadsAccess.run(group, c -> {
                for (int call = 0; call < inputs.length; call++) {
                    MemorySegment buffer = bufferBytes > 0 ? c.allocateBuffer((long) count * es)
                            : arena.allocate(Math.max(1, (long) count * es), 64);
                    for (int i = 0; i < count; i++) {
                        Reductions.store(type, buffer, (long) i * es, inputs[call][c.rank()][i]);
                    }
                    c.allReduce(buffer, count, type);
                    float[] result = new float[count];
                    for (int i = 0; i < count; i++) {
                        result[i] = Reductions.load(type, buffer, (long) i * es);
                    }
                    out[call][c.rank()] = result;
                }
            });
        } catch (AssertionError e) {
            throw new AssertionError(context + ": " + e.getMessage(), e);
        } finally {
            group.forEach(Communicator::close);
        }
        return out;
    }

    /** The sum over ranks ascending in f32, rounded once to {@code type}. */
    private static float[] ascendingSum(float[][] inputs, ElementType type) {
        float[] out = new float[inputs[0].length];
        for (int i = 0; i < out.length; i++) {
            float acc = inputs[0][i];
            for (int r = 1; r < inputs.length; r++) {
                acc += inputs[r][i];
            }
            out[i] = round(type, acc);
        }
        return out;
    }

    /** Values representable in {@code type}, over many magnitudes so the summation order shows. */
    private static float[] values(SplittableRandom random, int n, ElementType type) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = round(type, (float) ((random.nextDouble() * 2 - 1) * Math.pow(2, random.nextInt(-8, 9))));
        }
        return v;
    }

    private static float round(ElementType type, float value) {
        return switch (type) {
            case F32 -> value;
            case BF16 -> Reductions.bf16ToFloat(Reductions.floatToBf16(value));
            case F16 -> Float.float16ToFloat(Float.floatToFloat16(value));
        };
    }
}
