package numatp.topology.bind;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Reads a {@code tp bind --config} JSON file with the seed's fields: {@code groups_per_socket},
 * {@code others_socket_index}, {@code group_patterns}, {@code other_patterns},
 * {@code forward_thread_patterns}, {@code report}, and numatp's {@code group_by} (tree, parent,
 * process). Missing fields take the generic defaults
 * (0: spread, -1: auto); unknown fields are an error naming them.
 */
public final class BindConfig {
    private static final Set<String> FIELDS = Set.of("groups_per_socket", "others_socket_index", "group_patterns",
            "other_patterns", "forward_thread_patterns", "report", "group_by");

    private BindConfig() {
    }

    public static BindPolicy read(Path file) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new BindException("--config " + file + ": not readable JSON (" + e.getMessage().lines().findFirst()
                    .orElse("") + ")", e);
        }
        if (root == null || !root.isObject()) {
            throw new BindException("--config " + file + ": expected a JSON object");
        }
        for (var it = root.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!FIELDS.contains(f)) {
                throw new BindException("--config " + file + ": unknown field " + f + " (known: " + FIELDS + ")");
            }
        }
        try {
            return new BindPolicy(file.toString(), integer(root, "groups_per_socket", 0, file),
                    integer(root, "others_socket_index", -1, file), strings(root, "group_patterns", file),
                    strings(root, "other_patterns", file), strings(root, "forward_thread_patterns", file),
                    root.hasNonNull("report") ? root.get("report").asText() : null,
                    root.hasNonNull("group_by") ? GroupBy.parse(root.get("group_by").asText(), "group_by") : null);
        } catch (BindException e) {
            throw new BindException("--config " + file + ": " + e.getMessage(), e);
        }
    }

    private static int integer(JsonNode root, String field, int fallback, Path file) {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) {
            return fallback;
        }
        if (!n.isInt()) {
            throw new BindException("--config " + file + ": " + field + " must be an integer: " + n);
        }
        return n.intValue();
    }

    private static List<String> strings(JsonNode root, String field, Path file) {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) {
            return List.of();
        }
        if (!n.isArray()) {
            throw new BindException("--config " + file + ": " + field + " must be an array of strings: " + n);
        }
        List<String> out = new ArrayList<>();
        for (JsonNode e : n) {
            if (!e.isTextual()) {
                throw new BindException("--config " + file + ": " + field + " must hold strings: " + e);
            }
            out.add(e.asText());
        }
        return out;
    }
}
