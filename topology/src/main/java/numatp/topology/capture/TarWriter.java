package numatp.topology.capture;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A minimal POSIX (ustar + pax) tar writer: regular files, directories and symbolic
 * links. Names or link targets longer than ustar allows get a pax {@code x} header.
 * Owner 0, mtime 0, so that two captures of the same files are byte-identical.
 */
public final class TarWriter implements AutoCloseable {
    static final int BLOCK = 512;

    private final OutputStream out;

    public TarWriter(OutputStream out) {
        this.out = out;
    }

    public void file(String name, byte[] content) throws IOException {
        entry(name, '0', 0644, content.length, "");
        out.write(content);
        pad(content.length);
    }

    public void directory(String name) throws IOException {
        entry(name.endsWith("/") ? name : name + "/", '5', 0755, 0, "");
    }

    public void symlink(String name, String target) throws IOException {
        entry(name, '2', 0777, 0, target);
    }

    /** Writes the two zero blocks that end an archive; does not close the stream. */
    public void finish() throws IOException {
        out.write(new byte[2 * BLOCK]);
        out.flush();
    }

    @Override
    public void close() throws IOException {
        finish();
        out.close();
    }

    private void entry(String name, char type, int mode, long size, String link) throws IOException {
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        byte[] linkBytes = link.getBytes(StandardCharsets.UTF_8);
        if (nameBytes.length > 100 || linkBytes.length > 100) {
            StringBuilder records = new StringBuilder();
            if (nameBytes.length > 100) {
                records.append(paxRecord("path", name));
            }
            if (linkBytes.length > 100) {
                records.append(paxRecord("linkpath", link));
            }
            byte[] pax = records.toString().getBytes(StandardCharsets.UTF_8);
            out.write(header("PaxHeaders/" + shortName(name), 'x', 0644, pax.length, ""));
            out.write(pax);
            pad(pax.length);
        }
        out.write(header(name, type, mode, size, link));
    }

    private static String shortName(String name) {
        String stripped = name.endsWith("/") ? name.substring(0, name.length() - 1) : name;
        String last = stripped.substring(stripped.lastIndexOf('/') + 1);
        return last.length() > 80 ? last.substring(0, 80) : last;
    }

    /** One pax record: {@code "<len> key=value\n"} where len counts the whole record. */
    static String paxRecord(String key, String value) {
        int body = (" " + key + "=" + value + "\n").getBytes(StandardCharsets.UTF_8).length;
        int len = body + Integer.toString(body).length();
        if (Integer.toString(len).length() != Integer.toString(body).length()) {
            len++;
        }
        return len + " " + key + "=" + value + "\n";
    }

    private static byte[] header(String name, char type, int mode, long size, String link) {
        byte[] h = new byte[BLOCK];
        put(h, 0, 100, truncate(name, 100));
        octal(h, 100, 8, mode);
        octal(h, 108, 8, 0);
        octal(h, 116, 8, 0);
        octal(h, 124, 12, size);
        octal(h, 136, 12, 0);
        Arrays.fill(h, 148, 156, (byte) ' ');
        h[156] = (byte) type;
        put(h, 157, 100, truncate(link, 100));
        put(h, 257, 6, "ustar\0".getBytes(StandardCharsets.US_ASCII));
        put(h, 263, 2, "00".getBytes(StandardCharsets.US_ASCII));
        put(h, 265, 32, "root".getBytes(StandardCharsets.US_ASCII));
        put(h, 297, 32, "root".getBytes(StandardCharsets.US_ASCII));
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xFF;
        }
        byte[] chk = String.format("%06o\0 ", sum).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(chk, 0, h, 148, 8);
        return h;
    }

    private static byte[] truncate(String s, int max) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return b.length <= max ? b : Arrays.copyOf(b, max);
    }

    private static void put(byte[] h, int offset, int length, byte[] value) {
        System.arraycopy(value, 0, h, offset, Math.min(length, value.length));
    }

    private static void octal(byte[] h, int offset, int length, long value) {
        String s = String.format("%0" + (length - 1) + "o", value);
        put(h, offset, length - 1, s.getBytes(StandardCharsets.US_ASCII));
        h[offset + length - 1] = 0;
    }

    private void pad(long size) throws IOException {
        int rest = (int) (size % BLOCK);
        if (rest != 0) {
            out.write(new byte[BLOCK - rest]);
        }
    }
}
