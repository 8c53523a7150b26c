package numatp.topology.capture;

import numatp.topology.TopologyException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.Map;

/**
 * Extracts a tar stream (ustar, pax {@code x} headers, GNU {@code L}/{@code K} long
 * names) into a directory: regular files, directories and symbolic links; other entry
 * types are skipped. Entries that would land outside the directory, directly or through
 * a symbolic link, are refused.
 */
public final class TarReader {
    private static final int BLOCK = TarWriter.BLOCK;
    /** Longest pax/GNU header accepted, to bound memory on corrupt input. */
    private static final int MAX_META_BYTES = 1 << 20;

    private TarReader() {
    }

    /** @param source the archive's name, for error messages */
    public static void extract(InputStream in, Path into, String source) throws IOException {
        Path base = into.toAbsolutePath().normalize();
        Files.createDirectories(base);
        Path realBase = base.toRealPath();
        Map<String, String> pax = new HashMap<>();
        long offset = 0;
        int zeroBlocks = 0;
        while (true) {
            byte[] h = in.readNBytes(BLOCK);
            if (h.length == 0 && offset > 0) {
                return;
            }
            if (h.length < BLOCK) {
                throw new TopologyException(source + ": truncated tar header at offset " + offset);
            }
            offset += BLOCK;
            if (isZero(h)) {
                if (++zeroBlocks == 2) {
                    return;
                }
                continue;
            }
            zeroBlocks = 0;
            verifyChecksum(h, source, offset - BLOCK);
            char type = (char) h[156];
            long size = octal(h, 124, 12, source, offset - BLOCK);
            String name = string(h, 0, 100);
            String prefix = string(h, 345, 155);
            if (string(h, 257, 5).equals("ustar") && !prefix.isEmpty()) {
                name = prefix + "/" + name;
            }
            String link = string(h, 157, 100);
            if (type == 'x' || type == 'g' || type == 'L' || type == 'K') {
                if (size > MAX_META_BYTES) {
                    throw new TopologyException(source + ": tar metadata entry of " + size + " bytes at offset "
                            + (offset - BLOCK));
                }
                byte[] meta = readContent(in, size, source, offset);
                offset += padded(size);
                if (type == 'x') {
                    pax.putAll(parsePax(meta, source, offset));
                } else if (type == 'L') {
                    pax.put("path", string(meta, 0, meta.length));
                } else if (type == 'K') {
                    pax.put("linkpath", string(meta, 0, meta.length));
                }
                continue;
            }
            name = pax.getOrDefault("path", name);
            link = pax.getOrDefault("linkpath", link);
            pax.clear();
            Path target = base.resolve(name).normalize();
            if (!target.startsWith(base) || target.equals(base) && type != '5') {
                throw new TopologyException(source + ": tar entry '" + name + "' escapes the extraction directory");
            }
            if (type == '5') {
                Files.createDirectories(target);
            } else if (type == '0' || type == '\0' || type == '2') {
                Files.createDirectories(target.getParent());
                if (!target.getParent().toRealPath().startsWith(realBase)) {
                    throw new TopologyException(source + ": tar entry '" + name + "' goes through a link out of "
                            + "the extraction directory");
                }
                Files.deleteIfExists(target);
                if (type == '2') {
                    Files.createSymbolicLink(target, Paths.get(link));
                } else {
                    Files.write(target, readContent(in, size, source, offset));
                    offset += padded(size);
                    continue;
                }
            }
            if (type != '0' && type != '\0' && size > 0) {
                in.skipNBytes(padded(size));
                offset += padded(size);
            }
        }
    }

    private static byte[] readContent(InputStream in, long size, String source, long offset) throws IOException {
        if (size > Integer.MAX_VALUE - BLOCK) {
            throw new TopologyException(source + ": tar entry of " + size + " bytes at offset " + offset);
        }
        byte[] content = in.readNBytes((int) size);
        if (content.length < size) {
            throw new TopologyException(source + ": truncated tar entry at offset " + offset);
        }
        in.readNBytes((int) (padded(size) - size));
        return content;
    }

    private static long padded(long size) {
        return (size + BLOCK - 1) / BLOCK * BLOCK;
    }

    static Map<String, String> parsePax(byte[] meta, String source, long offset) {
        Map<String, String> result = new HashMap<>();
        int pos = 0;
        while (pos < meta.length) {
            int space = pos;
            while (space < meta.length && meta[space] != ' ') {
                space++;
            }
            String lenText = new String(meta, pos, space - pos, StandardCharsets.US_ASCII);
            if (space >= meta.length || !lenText.matches("[0-9]{1,7}")) {
                throw new TopologyException(source + ": malformed pax record at offset " + offset + ": '" + lenText + "'");
            }
            int len = Integer.parseInt(lenText);
            if (len <= space - pos + 1 || pos + len > meta.length) {
                throw new TopologyException(source + ": pax record length " + len + " out of range at offset " + offset);
            }
            String record = new String(meta, space + 1, pos + len - space - 2, StandardCharsets.UTF_8);
            int eq = record.indexOf('=');
            if (eq > 0) {
                result.put(record.substring(0, eq), record.substring(eq + 1));
            }
            pos += len;
        }
        return result;
    }

    private static void verifyChecksum(byte[] h, String source, long offset) {
        long expected = octal(h, 148, 8, source, offset);
        long sum = 0;
        for (int i = 0; i < BLOCK; i++) {
            sum += (i >= 148 && i < 156) ? ' ' : (h[i] & 0xFF);
        }
        if (sum != expected) {
            throw new TopologyException(source + ": tar header checksum mismatch at offset " + offset
                    + " (not a tar archive, or corrupt)");
        }
    }

    private static long octal(byte[] h, int offset, int length, String source, long at) {
        String s = string(h, offset, length).trim();
        if (s.isEmpty()) {
            return 0;
        }
        if (!s.matches("[0-7]{1,12}")) {
            throw new TopologyException(source + ": malformed tar header field '" + s + "' at offset " + at);
        }
        return Long.parseLong(s, 8);
    }

    private static String string(byte[] b, int offset, int length) {
        int end = offset;
        while (end < offset + length && end < b.length && b[end] != 0) {
            end++;
        }
        return new String(b, offset, end - offset, StandardCharsets.UTF_8);
    }

    private static boolean isZero(byte[] h) {
        for (byte b : h) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }
}
