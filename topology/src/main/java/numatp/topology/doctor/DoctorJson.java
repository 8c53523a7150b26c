package numatp.topology.doctor;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import numatp.topology.TopologyException;

/**
 * The JSON of {@code tp doctor --json}. Field names are stable and documented in
 * docs/operations.md: {@code root}, {@code plannedCpus}, {@code plannedNodes},
 * {@code readiness}, {@code exitCode}, {@code counts}, and {@code checks[]} with
 * {@code id}, {@code title}, {@code status}, {@code found}, {@code fix}.
 */
public final class DoctorJson {
    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private DoctorJson() {
    }

    public static String toJson(DoctorReport report) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("root", report.root());
        root.put("plannedCpus", report.plannedCpus().toListString());
        root.put("plannedNodes", report.plannedNodes().toListString());
        root.put("readiness", report.readiness().label());
        root.put("exitCode", report.exitCode());
        ObjectNode counts = root.putObject("counts");
        for (Readiness r : Readiness.values()) {
            counts.put(r.label(), report.count(r));
        }
        ArrayNode checks = root.putArray("checks");
        for (Finding f : report.findings()) {
            ObjectNode n = checks.addObject();
            n.put("id", f.id());
            n.put("title", f.title());
            n.put("status", f.status().label());
            n.put("found", f.found());
            n.put("fix", f.fix());
        }
        try {
            return MAPPER.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new TopologyException("cannot write the doctor report as JSON: " + e.getMessage());
        }
    }
}
