package numatp.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;

/**
 * What {@code GET /health} says: the server's state and each replica's, read from the
 * replicas' schedulers (and through them their engines) at one moment.
 *
 * <p>A replica is {@code ok} while it takes requests, {@code failed} once its engine failed
 * (with the error id of the log line that says why), {@code stopping} while the server shuts
 * down. The server is {@code ok} when every replica is, {@code degraded} when some failed but
 * at least one serves (still HTTP 200: requests are answered), {@code unavailable} (503) when
 * none serves. {@code running}, {@code waiting} and {@code slots} at the top are sums over
 * the replicas.
 *
 * @param replicas one entry per replica, by index
 */
record ReplicaHealth(List<Replica> replicas) {
    /** One replica: its state, sequences in slots and waiting, its slots, and the error id once failed. */
    record Replica(int replica, String status, int running, int waiting, int slots, String errorId) {
        boolean serving() {
            return status.equals("ok");
        }
    }

    static ReplicaHealth of(ReplicaRouter router) {
        List<Replica> out = new ArrayList<>();
        for (Scheduler s : router.replicas()) {
            String errorId = s.failedErrorId();
            String status = errorId != null ? "failed" : s.accepting() ? "ok" : "stopping";
            out.add(new Replica(s.replica(), status, s.running(), s.queueDepth(), s.slots(), errorId));
        }
        return new ReplicaHealth(List.copyOf(out));
    }

    boolean serving() {
        return replicas.stream().anyMatch(Replica::serving);
    }

    String status() {
        if (replicas.stream().allMatch(Replica::serving)) {
            return "ok";
        }
        return serving() ? "degraded" : "unavailable";
    }

    ObjectNode json(String modelId) {
        ObjectNode body = OpenAiJson.MAPPER.createObjectNode();
        body.put("status", status());
        body.put("model", modelId);
        body.put("running", replicas.stream().mapToInt(Replica::running).sum());
        body.put("waiting", replicas.stream().mapToInt(Replica::waiting).sum());
        body.put("slots", replicas.stream().mapToInt(Replica::slots).sum());
        ArrayNode list = body.putArray("replicas");
        for (Replica r : replicas) {
            ObjectNode o = list.addObject();
            o.put("replica", r.replica());
            o.put("status", r.status());
            o.put("running", r.running());
            o.put("waiting", r.waiting());
            o.put("slots", r.slots());
            if (r.errorId() != null) {
                o.put("error_id", r.errorId());
            }
        }
        return body;
    }
}
