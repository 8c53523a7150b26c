package numatp.server;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ServeConfigTest {
    static final ServeConfig BASE = ServeConfig.defaults("m", 0);

    @Test
    void defaultsHaveAReadTimeoutAndAConnectionCap() {
        assertEquals(Duration.ofSeconds(30), BASE.readTimeout());
        assertEquals(1024, BASE.maxConnections());
        assertEquals(Duration.ofSeconds(5), BASE.withReadTimeout(Duration.ofSeconds(5)).readTimeout());
        assertEquals(7, BASE.withMaxConnections(7).maxConnections());
    }

    @Test
    void badLimitsNameTheirFlag() {
        for (Duration bad : new Duration[] {Duration.ZERO, Duration.ofMillis(1500), Duration.ofSeconds(-1),
                Duration.ofDays(2)}) {
            ServeException e = assertThrows(ServeException.class, () -> BASE.withReadTimeout(bad));
            assertEquals(true, e.getMessage().startsWith("--read-timeout must be whole seconds in [1, 86400]: "),
                    e.getMessage());
        }
        ServeException e = assertThrows(ServeException.class, () -> BASE.withMaxConnections(0));
        assertEquals("--max-connections must be >= 1: 0", e.getMessage());
    }
}
