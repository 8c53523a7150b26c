package numatp.topology.memory;

/** Byte counts in the units users read: {@code 256 MiB}, {@code 1.5 GiB}, {@code 4 KiB}. */
public final class Sizes {
    private Sizes() {
    }

    public static String format(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double value = bytes;
        int unit = -1;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        if (value == Math.rint(value)) {
            return (long) value + " " + units[unit];
        }
        return String.format(java.util.Locale.ROOT, "%.1f %s", value, units[unit]);
    }

    static long roundUp(long bytes, long alignment) {
        return Math.ceilDiv(bytes, alignment) * alignment;
    }
}
