package numatp.topology.sysfs;

import java.util.HashMap;
import java.util.Map;

/**
 * Parses {@code /proc/meminfo} ({@code MemTotal:  16384 kB}) and a node's
 * {@code meminfo} ({@code Node 0 MemTotal:  16384 kB}) into bytes by key.
 */
public final class MeminfoParser {
    private MeminfoParser() {
    }

    /**
     * @param relative the file, for error messages
     * @return value in bytes by key ({@code MemTotal}, {@code MemFree}, ...); counts without
     *         a unit ({@code HugePages_Total}) are returned as they are
     */
    public static Map<String, Long> parse(SysFs fs, String relative, String text) {
        Map<String, Long> values = new HashMap<>();
        for (String raw : text.split("\n")) {
            String line = raw.replace("\0", "").trim();
            if (line.isEmpty()) {
                continue;
            }
            if (line.startsWith("Node ")) {
                int space = line.indexOf(' ', 5);
                if (space < 0) {
                    throw fs.malformed(relative, raw, "'Node N Key: value [kB]'");
                }
                line = line.substring(space + 1).trim();
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw fs.malformed(relative, raw, "'Key: value [kB]'");
            }
            String key = line.substring(0, colon).trim();
            String[] parts = line.substring(colon + 1).trim().split("\\s+");
            if (parts.length == 0 || parts.length > 2 || parts[0].isEmpty()) {
                throw fs.malformed(relative, raw, "'Key: value [kB]'");
            }
            long value = fs.parseLong(parts[0], relative);
            if (value < 0) {
                throw fs.malformed(relative, raw, "a non-negative value");
            }
            if (parts.length == 2) {
                if (!parts[1].equalsIgnoreCase("kB")) {
                    throw fs.malformed(relative, raw, "a value in kB");
                }
                if (value > Long.MAX_VALUE / 1024) {
                    throw fs.malformed(relative, raw, "a value that fits in 64 bits of bytes");
                }
                value *= 1024;
            }
            values.put(key, value);
        }
        return values;
    }
}
