package numatp.runtime.config;

import java.util.SortedMap;
import java.util.TreeMap;

/** Parses {@code --node-affinity 0:0,1:0,2:1,3:1} (shard:node pairs). */
public final class NodeAffinityParser {
    private NodeAffinityParser() {
    }

    public static SortedMap<Integer, Integer> parse(String text, String source) {
        SortedMap<Integer, Integer> map = new TreeMap<>();
        String trimmed = text == null ? "" : text.trim();
        if (trimmed.isEmpty()) {
            return map;
        }
        for (String pair : trimmed.split(",", -1)) {
            String[] parts = pair.trim().split(":", -1);
            if (parts.length != 2) {
                throw new ConfigException(source + " expects shard:node pairs like 0:0,1:1; '" + pair.trim()
                        + "' in '" + text + "' is not one");
            }
            int shard = parseNonNegative(parts[0], source, text);
            int node = parseNonNegative(parts[1], source, text);
            if (map.put(shard, node) != null) {
                throw new ConfigException(source + " names shard " + shard + " twice: '" + text + "'");
            }
        }
        return map;
    }

    public static String format(SortedMap<Integer, Integer> map) {
        StringBuilder out = new StringBuilder();
        map.forEach((shard, node) -> {
            if (!out.isEmpty()) {
                out.append(',');
            }
            out.append(shard).append(':').append(node);
        });
        return out.toString();
    }

    private static int parseNonNegative(String digits, String source, String text) {
        String d = digits.trim();
        if (d.isEmpty() || d.length() > 6 || !d.chars().allMatch(Character::isDigit)) {
            throw new ConfigException(source + ": '" + d + "' in '" + text + "' is not a shard or node number");
        }
        return Integer.parseInt(d);
    }
}
