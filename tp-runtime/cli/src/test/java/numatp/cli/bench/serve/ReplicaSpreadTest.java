package numatp.cli.bench.serve;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

@Timeout(10)
class ReplicaSpreadTest {
    private static final String HEALTH = "{\"status\":\"ok\",\"replicas\":[{\"replica\":0},{\"replica\":1}]}";

    private static String metrics(long r0, long r1) {
        return "# TYPE numatp_replica_requests_total counter\n"
                + "numatp_replica_requests_total{replica=\"0\"} " + r0 + ".0\n"
                + "numatp_replica_requests_total{replica=\"1\"} " + r1 + ".0\n"
                + "numatp_replica_up{replica=\"0\"} 1.0\n";
    }

    @Test
    void countsTheRequestsEachReplicaGotBetweenTwoReadings() {
        ReplicaSpread before = ReplicaSpread.parse(HEALTH, metrics(3, 1));
        ReplicaSpread after = ReplicaSpread.parse(HEALTH, metrics(30, 25));
        assertEquals(List.of(27L, 24L), after.since(before).requests());
        assertEquals("2 replicas, requests 27 / 24", after.since(before).describe());
    }

    @Test
    void serversWithoutReplicasAreUnknown() {
        assertFalse(ReplicaSpread.parse(null, metrics(1, 1)).known());
        assertFalse(ReplicaSpread.parse("{\"status\":\"ok\"}", metrics(1, 1)).known()); // an older tp serve
        assertFalse(ReplicaSpread.parse("not json", metrics(1, 1)).known());
        assertFalse(ReplicaSpread.parse(HEALTH, "vllm:num_requests_running 3\n").known());
        ReplicaSpread one = ReplicaSpread.parse("{\"replicas\":[{}]}", metrics(5, 9));
        assertEquals(List.of(5L), one.requests()); // a replica label past the count is ignored
        assertFalse(one.since(ReplicaSpread.parse(HEALTH, metrics(1, 1))).known()); // the count changed
        assertNull(ReplicaSpread.UNKNOWN.describe());
    }
}
