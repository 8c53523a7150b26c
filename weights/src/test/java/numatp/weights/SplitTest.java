package numatp.weights;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SplitTest {
    @Test
    void evenSplitCoversTotalWithSizesDifferingByAtMostOne() {
        long seed = new SplittableRandom().nextLong();
        System.out.println("SplitTest seed=" + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = 0; i < 1000; i++) {
            int total = rnd.nextInt(0, 5000);
            int parts = rnd.nextInt(1, 70);
            Split s = Split.even(total, parts);
            int sum = 0;
            for (int p = 0; p < parts; p++) {
                assertEquals(sum, s.start(p), "seed " + seed);
                sum += s.size(p);
                assertTrue(Math.abs(s.size(p) - total / parts) <= 1, "seed " + seed);
            }
            assertEquals(total, sum, "seed " + seed);
        }
    }

    @Test
    void granularSplitKeepsGranulesWhole() {
        Split s = Split.granular(172, 3, 32); // 5 whole blocks + 12: 64, 64, 44
        assertEquals("Split[64, 64, 44]", s.toString());
        assertEquals(172, s.total());
    }

    @Test
    void scaledSplitMultipliesEveryBound() {
        Split heads = Split.even(5, 2);
        Split columns = heads.scaled(128);
        assertEquals(640, columns.total());
        assertEquals(2, columns.parts());
        assertEquals(384, columns.size(0));
        assertEquals(384, columns.start(1));
        assertEquals(256, columns.size(1));
    }

    @Test
    void rejectsBadBounds() {
        assertThrows(WeightsException.class, () -> Split.even(10, 0));
        assertThrows(WeightsException.class, () -> Split.of(new int[] {0, 5, 3}));
        assertThrows(WeightsException.class, () -> Split.of(new int[] {1, 5}));
    }
}
