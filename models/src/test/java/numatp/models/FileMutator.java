package numatp.models;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Seeded mutations of a valid file, for loader fuzzing: bit flips, byte runs, truncation,
 * rewrites of known length/count fields to huge, negative or off-by-one values, and
 * duplicated or deleted sections. Most mutations land in the header ({@code [0, headerEnd)}),
 * where the lengths live. Each call describes what it did, so a failure can be read back.
 */
public final class FileMutator {
    private static final long[] EXTREMES = {-1L, Long.MIN_VALUE, Long.MAX_VALUE, 1L << 31, (1L << 31) - 1, 1L << 32,
            (1L << 32) - 1, 1L << 62, 0, 1, Integer.MIN_VALUE};

    /** A little-endian integer field: offset and width (4 or 8) in bytes. */
    public record Field(int offset, int width) {
    }

    private final byte[] source;
    private final int headerEnd;
    private final List<Field> fields;

    public FileMutator(byte[] source, int headerEnd, List<Field> fields) {
        this.source = source;
        this.headerEnd = Math.max(1, Math.min(headerEnd, source.length));
        this.fields = List.copyOf(fields);
    }

    /** 1 to 3 mutations of the source, each described in {@code what}. */
    public byte[] mutate(SplittableRandom rnd, List<String> what) {
        byte[] b = source.clone();
        int n = 1 + rnd.nextInt(3);
        for (int k = 0; k < n && b.length > 0; k++) {
            b = once(b, rnd, what);
        }
        return b;
    }

    private int position(byte[] b, SplittableRandom rnd) {
        int limit = rnd.nextInt(10) < 7 ? Math.min(headerEnd, b.length) : b.length;
        return rnd.nextInt(Math.max(1, limit));
    }

    private byte[] once(byte[] b, SplittableRandom rnd, List<String> what) {
        switch (rnd.nextInt(7)) {
            case 0 -> {
                int flips = 1 + rnd.nextInt(8);
                for (int i = 0; i < flips; i++) {
                    int at = position(b, rnd);
                    int bit = rnd.nextInt(8);
                    b[at] ^= (byte) (1 << bit);
                    what.add("flip bit " + bit + " at " + at);
                }
                return b;
            }
            case 1 -> {
                int at = position(b, rnd);
                int len = Math.min(b.length - at, 1 + rnd.nextInt(64));
                boolean same = rnd.nextBoolean();
                byte v = (byte) rnd.nextInt(256);
                for (int i = 0; i < len; i++) {
                    b[at + i] = same ? v : (byte) rnd.nextInt(256);
                }
                what.add("byte run at " + at + " len " + len + (same ? " of " + (v & 0xFF) : " random"));
                return b;
            }
            case 2 -> {
                int len = rnd.nextBoolean() ? position(b, rnd) : rnd.nextInt(b.length);
                what.add("truncate to " + len);
                return Arrays.copyOf(b, len);
            }
            case 3, 4 -> {
                if (fields.isEmpty()) {
                    return b;
                }
                Field f = fields.get(rnd.nextInt(fields.size()));
                if (f.offset() + f.width() > b.length) {
                    return b;
                }
                long old = read(b, f);
                long v = switch (rnd.nextInt(4)) {
                    case 0 -> EXTREMES[rnd.nextInt(EXTREMES.length)];
                    case 1 -> old + rnd.nextInt(-3, 4);
                    case 2 -> old * (2 + rnd.nextInt(1000));
                    default -> rnd.nextLong();
                };
                write(b, f, v);
                what.add("field at " + f.offset() + " (" + f.width() + " bytes) " + old + " -> " + read(b, f));
                return b;
            }
            case 5 -> {
                int from = position(b, rnd);
                int len = Math.min(b.length - from, 1 + rnd.nextInt(rnd.nextBoolean() ? 64 : 4096));
                int to = position(b, rnd);
                byte[] out = new byte[b.length + len];
                System.arraycopy(b, 0, out, 0, to);
                System.arraycopy(b, from, out, to, len);
                System.arraycopy(b, to, out, to + len, b.length - to);
                what.add("duplicate [" + from + ", " + (from + len) + ") inserted at " + to);
                return out;
            }
            default -> {
                int from = position(b, rnd);
                int len = Math.min(b.length - from, 1 + rnd.nextInt(64));
                byte[] out = new byte[b.length - len];
                System.arraycopy(b, 0, out, 0, from);
                System.arraycopy(b, from + len, out, from, b.length - from - len);
                what.add("delete [" + from + ", " + (from + len) + ")");
                return out;
            }
        }
    }

    private static long read(byte[] b, Field f) {
        long v = 0;
        for (int i = f.width() - 1; i >= 0; i--) {
            v = v << 8 | (b[f.offset() + i] & 0xFF);
        }
        return f.width() == 4 ? (int) v : v;
    }

    private static void write(byte[] b, Field f, long v) {
        for (int i = 0; i < f.width(); i++) {
            b[f.offset() + i] = (byte) (v >>> (8 * i));
        }
    }

    /** Offsets in {@code [0, end)} holding a little-endian u64 in [1, 2^24]: GGUF's lengths, counts, dims, offsets. */
    public static List<Field> plausibleU64Fields(byte[] b, int end) {
        List<Field> out = new ArrayList<>();
        for (int at = 0; at + 8 <= Math.min(end, b.length); at++) {
            long v = read(b, new Field(at, 8));
            if (v >= 1 && v <= 1 << 24) {
                out.add(new Field(at, 8));
            }
        }
        return out;
    }
}
