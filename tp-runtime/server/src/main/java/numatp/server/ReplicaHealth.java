package numatp.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import numatp.models.tp.EngineHealth;

import java.util.ArrayList;
import java.util.List;

/**
 * What {@code GET /health} says: the server's state and each replica's, read from the
 * replicas' schedulers and their engines' own {@link EngineHealth} at one moment.
 *
 * <p>A replica is {@code ok} while it serves, {@code restarting} while its engine brings back
 * a lost worker (requests go to the other replicas meanwhile), {@code failed} once its engine
 * cannot run again (with the error id of the log line that says why), {@code stopping} while
 * the server shuts down. The server is {@code ok} when every replica is; {@code degraded} when
 * some replica is not but another serves (HTTP 200: requests are answered), or when none
 * serves but one is restarting (503: requests wait for it); else {@code unavailable} (503).
 * With one replica that is the single engine's health as before replicas existed, and the
 * body keeps its top-level {@code engine} object. {@code running}, {@code waiting} and
 * {@code slots} at the top are sums over the replicas.
 *
 * @param replicas one entry per replica, by index
 */
record ReplicaHealth(List<Replica> replicas) {
    /** One replica: its state, sequences in slots and waiting, its slots, its engine, and the error id once failed. */
    record Replica(int replica, String status, int running, int waiting, int slots, EngineHealth engine,
                   String errorId) {
        boolean serving() {
            return status.equals("ok");
        }
    }

    static ReplicaHealth of(ReplicaRouter router) {
        List<Replica> out = new ArrayList<>();
        for (Scheduler s : router.replicas()) {
            String errorId = s.failedErrorId();
            EngineHealth engine = s.engineHealth();
            String status = errorId != null || engine.state() == EngineHealth.State.FAILED ? "failed"
                    : !s.accepting() ? "stopping" : engine.ok() ? "ok" : "restarting";
            out.add(new Replica(s.replica(), status, s.running(), s.queueDepth(), s.slots(), engine, errorId));
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
        return serving() || replicas.stream().anyMatch(r -> r.status().equals("restarting")) ? "degraded"
                : "unavailable";
    }

    ObjectNode json(String modelId) {
        ObjectNode body = OpenAiJson.MAPPER.createObjectNode();
        body.put("status", status());
        body.put("model", modelId);
        body.put("running", replicas.stream().mapToInt(Replica::running).sum());
        body.put("waiting", replicas.stream().mapToInt(Replica::waiting).sum());
        body.put("slots", replicas.stream().mapToInt(Replica::slots).sum());
        if (replicas.size() == 1) {
            engine(body.putObject("engine"), replicas.getFirst().engine());
        }
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
            engine(o.putObject("engine"), r.engine());
        }
        return body;
    }

    private static void engine(ObjectNode o, EngineHealth engine) {
        o.put("state", engine.state().label());
        o.put("restarts", engine.restarts());
        if (!engine.detail().isEmpty()) {
            o.put("detail", engine.detail());
        }
    }
}
