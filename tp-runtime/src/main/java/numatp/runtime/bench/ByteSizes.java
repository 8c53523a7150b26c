package numatp.runtime.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Parses and prints byte sizes such as {@code 4KiB}, {@code 64MiB}, {@code 4096}. */
public final class ByteSizes {
    private ByteSizes() {
    }

    /** Parses a comma-separated list; the message names {@code flag} and the bad item. */
    public static List<Long> parseList(String flag, String text) {
        List<Long> sizes = new ArrayList<>();
        for (String item : text.split(",")) {
            sizes.add(parse(flag, item));
        }
        return sizes;
    }

    public static long parse(String flag, String item) {
        String s = item.strip();
        String lower = s.toLowerCase(Locale.ROOT);
        long unit = 1;
        String[][] units = {{"kib", "1024"}, {"mib", "1048576"}, {"gib", "1073741824"}, {"kb", "1000"},
                {"mb", "1000000"}, {"gb", "1000000000"}, {"k", "1024"}, {"m", "1048576"}, {"g", "1073741824"}, {"b", "1"}};
        for (String[] u : units) {
            if (lower.endsWith(u[0])) {
                unit = Long.parseLong(u[1]);
                s = s.substring(0, s.length() - u[0].length()).strip();
                break;
            }
        }
        try {
            long value = Long.parseLong(s);
            if (value <= 0) {
                throw new IllegalArgumentException(flag + " sizes must be positive: " + item.strip());
            }
            return Math.multiplyExact(value, unit);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException(flag + " expects sizes like 4KiB,64MiB: " + item.strip());
        }
    }

    /** 4096 → "4KiB", 1536 → "1536B". */
    public static String format(long bytes) {
        if (bytes >= 1L << 30 && bytes % (1L << 30) == 0) {
            return (bytes >> 30) + "GiB";
        }
        if (bytes >= 1L << 20 && bytes % (1L << 20) == 0) {
            return (bytes >> 20) + "MiB";
        }
        if (bytes >= 1L << 10 && bytes % (1L << 10) == 0) {
            return (bytes >> 10) + "KiB";
        }
        return bytes + "B";
    }
}
