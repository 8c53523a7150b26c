package numatp.topology;

import java.util.BitSet;
import java.util.stream.IntStream;

/**
 * An immutable set of non-negative CPU or NUMA node ids, in the kernel's two text
 * forms: lists ({@code 0-3,8-11}, with strides {@code 0-31:2/4}) and hexadecimal masks
 * ({@code 00000000,0000ffff}, 32-bit groups, most significant first). Both parsers
 * accept the trailing {@code \n} and {@code \0} sysfs files carry.
 */
public final class IdSet {
    /** Ids above this are refused as malformed input rather than allocated. */
    public static final int MAX_ID = 1 << 20;

    private static final IdSet EMPTY = new IdSet(new BitSet());

    private final BitSet bits;

    private IdSet(BitSet bits) {
        this.bits = bits;
    }

    public static IdSet empty() {
        return EMPTY;
    }

    public static IdSet of(int... ids) {
        BitSet bits = new BitSet();
        for (int id : ids) {
            checkId(id);
            bits.set(id);
        }
        return new IdSet(bits);
    }

    /** The ids {@code from..toInclusive}. */
    public static IdSet range(int from, int toInclusive) {
        checkId(from);
        checkId(toInclusive);
        BitSet bits = new BitSet();
        if (toInclusive >= from) {
            bits.set(from, toInclusive + 1);
        }
        return new IdSet(bits);
    }

    public static IdSet fromBitSet(BitSet bits) {
        return new IdSet((BitSet) bits.clone());
    }

    /**
     * Parses the kernel list format: comma-separated ids and ranges {@code a-b},
     * optionally strided {@code a-b:used/group}; empty text is the empty set.
     *
     * @param source where the text came from (a file path or flag), for the error message
     */
    public static IdSet parseList(String text, String source) {
        String trimmed = stripSysfs(text);
        BitSet bits = new BitSet();
        if (trimmed.isEmpty()) {
            return new IdSet(bits);
        }
        for (String part : trimmed.split(",", -1)) {
            String item = part.trim();
            if (item.isEmpty()) {
                throw malformed(source, text, "empty element");
            }
            int used = 1;
            int group = 1;
            int colon = item.indexOf(':');
            if (colon >= 0) {
                String stride = item.substring(colon + 1);
                int slash = stride.indexOf('/');
                if (slash < 0) {
                    throw malformed(source, text, "stride '" + stride + "' is not used/group");
                }
                used = parseId(stride.substring(0, slash), source, text);
                group = parseId(stride.substring(slash + 1), source, text);
                if (used < 1 || group < 1 || used > group) {
                    throw malformed(source, text, "stride '" + stride + "' needs 1 <= used <= group");
                }
                item = item.substring(0, colon);
            }
            int dash = item.indexOf('-');
            int from;
            int to;
            if (dash < 0) {
                from = parseId(item, source, text);
                to = from;
            } else {
                from = parseId(item.substring(0, dash), source, text);
                to = parseId(item.substring(dash + 1), source, text);
            }
            if (to < from) {
                throw malformed(source, text, "range " + from + "-" + to + " is reversed");
            }
            for (int start = from; start <= to; start += group) {
                int end = Math.min(to, start + used - 1);
                bits.set(start, end + 1);
            }
        }
        return new IdSet(bits);
    }

    /**
     * Parses the kernel mask format: comma-separated groups of up to 8 hex digits,
     * the last group holding ids 0-31. An optional {@code 0x} prefix is accepted.
     */
    public static IdSet parseMask(String text, String source) {
        String trimmed = stripSysfs(text);
        if (trimmed.startsWith("0x") || trimmed.startsWith("0X")) {
            trimmed = trimmed.substring(2);
        }
        BitSet bits = new BitSet();
        if (trimmed.isEmpty()) {
            throw malformed(source, text, "empty mask");
        }
        String[] groups = trimmed.split(",", -1);
        int base = 0;
        for (int g = groups.length - 1; g >= 0; g--, base += 32) {
            String group = groups[g].trim();
            if (group.isEmpty() || group.length() > 8) {
                throw malformed(source, text, "mask group '" + group + "' is not 1-8 hex digits");
            }
            long value;
            try {
                value = Long.parseLong(group, 16);
            } catch (NumberFormatException e) {
                throw malformed(source, text, "'" + group + "' is not hexadecimal");
            }
            while (value != 0) {
                int bit = Long.numberOfTrailingZeros(value);
                int id = base + bit;
                checkId(id, source, text);
                bits.set(id);
                value &= value - 1;
            }
        }
        return new IdSet(bits);
    }

    public boolean contains(int id) {
        return id >= 0 && bits.get(id);
    }

    public int size() {
        return bits.cardinality();
    }

    public boolean isEmpty() {
        return bits.isEmpty();
    }

    /** Smallest id, or -1 when empty. */
    public int first() {
        return bits.nextSetBit(0);
    }

    /** Largest id, or -1 when empty. */
    public int last() {
        return bits.length() - 1;
    }

    /** The smallest id >= {@code from}, or -1. */
    public int next(int from) {
        return bits.nextSetBit(Math.max(0, from));
    }

    public int[] toArray() {
        return bits.stream().toArray();
    }

    public IntStream stream() {
        return bits.stream();
    }

    public BitSet toBitSet() {
        return (BitSet) bits.clone();
    }

    public IdSet union(IdSet other) {
        BitSet result = toBitSet();
        result.or(other.bits);
        return new IdSet(result);
    }

    public IdSet intersect(IdSet other) {
        BitSet result = toBitSet();
        result.and(other.bits);
        return new IdSet(result);
    }

    public IdSet minus(IdSet other) {
        BitSet result = toBitSet();
        result.andNot(other.bits);
        return new IdSet(result);
    }

    public boolean containsAll(IdSet other) {
        BitSet missing = other.toBitSet();
        missing.andNot(bits);
        return missing.isEmpty();
    }

    public boolean intersects(IdSet other) {
        return bits.intersects(other.bits);
    }

    /** The compact kernel list form, e.g. {@code 0-3,8,10-11}; empty set gives "". */
    public String toListString() {
        StringBuilder out = new StringBuilder();
        int start = bits.nextSetBit(0);
        while (start >= 0) {
            int end = bits.nextClearBit(start) - 1;
            if (!out.isEmpty()) {
                out.append(',');
            }
            out.append(start);
            if (end > start) {
                out.append('-').append(end);
            }
            start = bits.nextSetBit(end + 1);
        }
        return out.toString();
    }

    /** The kernel mask form: 32-bit hex groups, most significant first, e.g. {@code 00000000,0000ffff}. */
    public String toMaskString() {
        int groups = Math.max(1, (last() + 32) / 32);
        StringBuilder out = new StringBuilder();
        for (int g = groups - 1; g >= 0; g--) {
            long value = 0;
            for (int bit = 0; bit < 32; bit++) {
                if (bits.get(g * 32 + bit)) {
                    value |= 1L << bit;
                }
            }
            out.append(String.format("%08x", value));
            if (g > 0) {
                out.append(',');
            }
        }
        return out.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IdSet other && bits.equals(other.bits);
    }

    @Override
    public int hashCode() {
        return bits.hashCode();
    }

    @Override
    public String toString() {
        return toListString();
    }

    private static String stripSysfs(String text) {
        if (text == null) {
            return "";
        }
        int end = text.length();
        while (end > 0 && (text.charAt(end - 1) == '\0' || Character.isWhitespace(text.charAt(end - 1)))) {
            end--;
        }
        int start = 0;
        while (start < end && Character.isWhitespace(text.charAt(start))) {
            start++;
        }
        return text.substring(start, end);
    }

    private static int parseId(String digits, String source, String text) {
        String d = digits.trim();
        if (d.isEmpty() || d.length() > 9) {
            throw malformed(source, text, "'" + d + "' is not an id");
        }
        for (int i = 0; i < d.length(); i++) {
            if (d.charAt(i) < '0' || d.charAt(i) > '9') {
                throw malformed(source, text, "'" + d + "' is not an id");
            }
        }
        int id = Integer.parseInt(d);
        checkId(id, source, text);
        return id;
    }

    private static void checkId(int id) {
        if (id < 0 || id > MAX_ID) {
            throw new TopologyException("id " + id + " is outside [0, " + MAX_ID + "]");
        }
    }

    private static void checkId(int id, String source, String text) {
        if (id > MAX_ID) {
            throw malformed(source, text, "id " + id + " exceeds " + MAX_ID);
        }
    }

    private static TopologyException malformed(String source, String text, String why) {
        String shown = text == null ? "" : text.replace("\n", "\\n").replace("\0", "\\0");
        if (shown.length() > 80) {
            shown = shown.substring(0, 80) + "...";
        }
        return new TopologyException(source + ": malformed id list '" + shown + "': " + why);
    }
}
