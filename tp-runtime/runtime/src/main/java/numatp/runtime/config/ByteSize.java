package numatp.runtime.config;

import java.util.Locale;

/**
 * Byte sizes as people write them: {@code 4096}, {@code 4KiB}, {@code 256MiB},
 * {@code 14GiB}, {@code 1.5GiB}; decimal units ({@code KB}, {@code MB}, {@code GB}, {@code TB})
 * are powers of 1000. Formatting uses binary units with one decimal.
 */
public final class ByteSize {
    private static final String[] BINARY = {"KiB", "MiB", "GiB", "TiB"};
    private static final String[] DECIMAL = {"KB", "MB", "GB", "TB"};

    private ByteSize() {
    }

    /** Parses {@code text}; {@code flag} names the option for the error message. */
    public static long parse(String text, String flag) {
        String t = text == null ? "" : text.trim();
        int split = 0;
        while (split < t.length() && (Character.isDigit(t.charAt(split)) || t.charAt(split) == '.')) {
            split++;
        }
        String number = t.substring(0, split);
        String unit = t.substring(split).trim();
        double multiplier = multiplier(unit);
        double value;
        try {
            value = number.isEmpty() ? Double.NaN : Double.parseDouble(number);
        } catch (NumberFormatException e) {
            value = Double.NaN;
        }
        if (Double.isNaN(value) || multiplier < 0) {
            throw new ConfigException(flag + " expects a size like 4096, 64KiB, 256MiB or 14GiB: '" + text + "'");
        }
        double bytes = value * multiplier;
        if (bytes > Long.MAX_VALUE / 2) {
            throw new ConfigException(flag + " is too large: '" + text + "'");
        }
        if (bytes != Math.rint(bytes)) {
            throw new ConfigException(flag + " must be a whole number of bytes: '" + text + "'");
        }
        return (long) bytes;
    }

    private static double multiplier(String unit) {
        if (unit.isEmpty() || unit.equalsIgnoreCase("B")) {
            return 1;
        }
        for (int i = 0; i < BINARY.length; i++) {
            if (unit.equalsIgnoreCase(BINARY[i]) || unit.equalsIgnoreCase(BINARY[i].substring(0, 1))) {
                return Math.pow(1024, i + 1);
            }
            if (unit.equalsIgnoreCase(DECIMAL[i])) {
                return Math.pow(1000, i + 1);
            }
        }
        return -1;
    }

    /** {@code 512 B}, {@code 4.0 KiB}, {@code 13.9 GiB}. */
    public static String format(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        double value = bytes;
        int unit = -1;
        while (value >= 1024 && unit < BINARY.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f %s", value, BINARY[unit]);
    }
}
