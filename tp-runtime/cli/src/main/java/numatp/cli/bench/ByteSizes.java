package numatp.cli.bench;

import numatp.runtime.config.ByteSize;
import numatp.runtime.config.ConfigException;

import java.util.ArrayList;
import java.util.List;

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

    /** One size, parsed as every size flag is ({@link ByteSize}); must be positive. */
    public static long parse(String flag, String item) {
        long value;
        try {
            value = ByteSize.parse(item, flag);
        } catch (ConfigException e) {
            throw new IllegalArgumentException(flag + " expects sizes like 4KiB,64MiB: " + item.strip());
        }
        if (value <= 0) {
            throw new IllegalArgumentException(flag + " must be positive: " + item.strip());
        }
        return value;
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
