package numatp.cli.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CacheLineRoundTripTest {
    @Test
    @Timeout(60)
    void unpinnedThreadsCompleteEveryRoundTripAndReportAPositiveTime() throws Exception {
        double ns = CacheLineRoundTrip.measureNs(-1, -1, 3, 1000);
        assertTrue(ns > 0 && Double.isFinite(ns), "round trip " + ns + " ns");
    }

    @Test
    void rejectsEmptyMeasurements() {
        assertThrows(IllegalArgumentException.class, () -> CacheLineRoundTrip.measureNs(-1, -1, 0, 10));
        assertThrows(IllegalArgumentException.class, () -> CacheLineRoundTrip.measureNs(-1, -1, 3, 0));
    }
}
