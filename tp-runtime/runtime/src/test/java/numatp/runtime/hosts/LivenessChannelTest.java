package numatp.runtime.hosts;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetAddress;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The liveness channel's bounds and the addresses rank 0 offers. */
@Timeout(30)
class LivenessChannelTest {
    @Test
    void aSilentRankIsLostOneBeatBeforeTheCollectiveTimeout() {
        assertEquals(1_000, LivenessChannel.beatMs(30_000));
        assertEquals(29_000, LivenessChannel.silentMs(30_000));
        assertEquals(750, LivenessChannel.beatMs(3_000));
        assertEquals(2_250, LivenessChannel.silentMs(3_000));
        long seed = new SplittableRandom().nextLong();
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < 10_000; i++) {
            long timeoutMs = 1 + random.nextLong(i < 100 ? 10 : 10_000_000);
            long beat = LivenessChannel.beatMs(timeoutMs);
            long silent = LivenessChannel.silentMs(timeoutMs);
            String context = "seed " + seed + ", timeout " + timeoutMs + " ms: beat " + beat + ", silent " + silent;
            assertTrue(beat > 0 && beat <= 1_000, context);
            assertTrue(silent >= 2 * beat, "a rank gets two beats at least: " + context);
            assertTrue(timeoutMs < 8 || silent < timeoutMs, "before the watchdog: " + context);
        }
    }

    @Test
    void offersLoopbackLastAndTheNamedInterfacesFirst() {
        List<InetAddress> all = LivenessChannel.addresses(null);
        assertFalse(all.isEmpty());
        assertTrue(all.getLast().isLoopbackAddress() || all.stream().noneMatch(InetAddress::isLoopbackAddress), all
                .toString());
        assertTrue(all.stream().noneMatch(InetAddress::isLinkLocalAddress), all.toString());
        List<InetAddress> loFirst = LivenessChannel.addresses("lo");
        if (all.stream().anyMatch(InetAddress::isLoopbackAddress)) {
            assertTrue(loFirst.getFirst().isLoopbackAddress(), loFirst.toString());
        }
        assertEquals(all.size(), loFirst.size());
    }
}
