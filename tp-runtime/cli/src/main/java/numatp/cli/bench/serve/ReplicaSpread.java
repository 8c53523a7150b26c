package numatp.cli.bench.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How a {@code tp serve} with replicas shared the measured requests out: its replica count
 * from {@code GET /health} and each replica's {@code numatp_replica_requests_total} from
 * {@code GET /metrics}, read before and after the run. Servers that publish neither (vLLM,
 * llama.cpp, an older tp serve) give {@link #UNKNOWN}; the benchmark does not depend on it.
 *
 * @param requests requests each replica got, by replica index; empty when unknown
 */
public record ReplicaSpread(List<Long> requests) {
    public static final ReplicaSpread UNKNOWN = new ReplicaSpread(List.of());
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern SAMPLE = Pattern.compile(
            "^numatp_replica_requests_total\\{replica=\"(\\d+)\"} ([0-9.eE+]+)$", Pattern.MULTILINE);

    public ReplicaSpread {
        requests = List.copyOf(requests);
    }

    public boolean known() {
        return !requests.isEmpty();
    }

    /** Replicas of the server, 0 when unknown. */
    public int replicas() {
        return requests.size();
    }

    /** The server's counts now; {@code health} and {@code metrics} are the bodies, null when not answered. */
    static ReplicaSpread parse(String health, String metrics) {
        if (health == null || metrics == null) {
            return UNKNOWN;
        }
        int replicas;
        try {
            JsonNode list = JSON.readTree(health).path("replicas");
            replicas = list.isArray() ? list.size() : 0;
        } catch (JsonProcessingException e) {
            return UNKNOWN;
        }
        long[] counts = new long[replicas];
        Matcher m = SAMPLE.matcher(metrics);
        boolean any = false;
        while (m.find()) {
            int r = Integer.parseInt(m.group(1));
            if (r < replicas) {
                counts[r] = (long) Double.parseDouble(m.group(2));
                any = true;
            }
        }
        if (!any) {
            return UNKNOWN;
        }
        List<Long> out = new ArrayList<>();
        for (long c : counts) {
            out.add(c);
        }
        return new ReplicaSpread(out);
    }

    /** The requests between {@code before} and this reading; unknown unless both are known alike. */
    ReplicaSpread since(ReplicaSpread before) {
        if (!known() || before.replicas() != replicas()) {
            return UNKNOWN;
        }
        List<Long> out = new ArrayList<>();
        for (int r = 0; r < replicas(); r++) {
            out.add(requests.get(r) - before.requests().get(r));
        }
        return new ReplicaSpread(out);
    }

    /** {@code 2 replicas, requests 26 / 24}, or {@code null} when unknown. */
    public String describe() {
        if (!known()) {
            return null;
        }
        StringBuilder s = new StringBuilder().append(replicas()).append(replicas() == 1 ? " replica" : " replicas")
                .append(", requests ");
        for (int r = 0; r < replicas(); r++) {
            s.append(r == 0 ? "" : " / ").append(requests.get(r));
        }
        return s.toString();
    }
}
