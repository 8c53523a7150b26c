package numatp.collectives;

import numatp.collectives.reduce.Reductions;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

/** Random inputs representable in each element type, and segment helpers. */
final class TestData {
    private TestData() {
    }

    static float[] values(SplittableRandom random, int n, ElementType type) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            float x = (float) ((random.nextDouble() * 2 - 1) * Math.pow(2, random.nextInt(-8, 9)));
            v[i] = ReferenceSums.round(type, x);
        }
        return v;
    }

    static MemorySegment segment(Arena arena, float[] values, ElementType type) {
        // Over-allocate by one element so out-of-range writes would show as changed sentinels.
        MemorySegment s = arena.allocate((long) (values.length + 1) * type.sizeBytes() + 1, 1).asSlice(1);
        for (int i = 0; i < values.length; i++) {
            Reductions.store(type, s, (long) i * type.sizeBytes(), values[i]);
        }
        Reductions.store(type, s, (long) values.length * type.sizeBytes(), 3.0f);
        return s;
    }

    static float[] read(MemorySegment s, int n, ElementType type) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = Reductions.load(type, s, (long) i * type.sizeBytes());
        }
        return v;
    }

    static int[] randomNodes(SplittableRandom random, int ranks) {
        int[] ids = {0, 1, 2, 5};
        int nodes = random.nextInt(1, 4);
        int[] nodeOfRank = new int[ranks];
        boolean blocks = random.nextBoolean();
        for (int r = 0; r < ranks; r++) {
            nodeOfRank[r] = blocks ? ids[r * nodes / ranks] : ids[random.nextInt(nodes)];
        }
        return nodeOfRank;
    }

    static int randomCount(SplittableRandom random, long slotBytes, int ranks) {
        long slotElems = slotBytes / 4;
        return switch (random.nextInt(6)) {
            case 0 -> 0;
            case 1 -> 1;
            case 2 -> 2 * random.nextInt(1, 50) + 1;
            case 3 -> (int) slotElems * random.nextInt(1, 3) + random.nextInt(-1, 2);
            default -> (int) (slotElems * ranks * random.nextInt(1, 3) + random.nextInt(0, 777));
        };
    }
}
