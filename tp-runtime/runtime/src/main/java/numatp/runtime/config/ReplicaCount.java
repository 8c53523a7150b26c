package numatp.runtime.config;

import java.util.Locale;

/**
 * The text form of a replica count, shared by {@code --replicas} and the JSON field
 * {@code replicas}: {@code auto} ({@link NumaTensorParallelConfig#AUTO_REPLICAS}) or a
 * positive integer.
 */
public final class ReplicaCount {
    private ReplicaCount() {
    }

    /** {@code auto} or N >= 1; {@code where} names the flag or field in the error. */
    public static int parse(String text, String where) {
        String value = text == null ? "" : text.trim();
        if (value.toLowerCase(Locale.ROOT).equals("auto")) {
            return NumaTensorParallelConfig.AUTO_REPLICAS;
        }
        int count;
        try {
            count = Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new ConfigException(where + " must be auto or a number of replicas >= 1: '" + text + "'");
        }
        if (count < 1) {
            throw new ConfigException(where + " must be auto or a number of replicas >= 1: " + count);
        }
        return count;
    }

    /** The inverse of {@link #parse}. */
    public static String format(int replicas) {
        return replicas == NumaTensorParallelConfig.AUTO_REPLICAS ? "auto" : Integer.toString(replicas);
    }
}
