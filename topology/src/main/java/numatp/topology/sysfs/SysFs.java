package numatp.topology.sysfs;

import numatp.topology.IdSet;
import numatp.topology.TopologyException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Read access to a sysfs/procfs tree under a root directory ({@code /} on a live
 * machine, an extracted capture otherwise). Paths are relative to the root, e.g.
 * {@code sys/devices/system/node/online}. Files are read to EOF (sysfs reports 4096
 * bytes for short files); a missing or unreadable file is absent. Every path touched
 * is remembered so that a capture can archive exactly what the detector read.
 */
public final class SysFs {
    private static final System.Logger LOG = System.getLogger(SysFs.class.getName());
    /** sysfs and procfs attributes are small; anything larger is not one of them. */
    private static final int MAX_FILE_BYTES = 1 << 22;

    private final Path root;
    private final Set<String> touched = Collections.synchronizedSet(new LinkedHashSet<>());
    private final Map<String, byte[]> contents = new ConcurrentHashMap<>();

    public SysFs(Path root) {
        this.root = root;
    }

    public Path root() {
        return root;
    }

    /** Every relative path read, listed or probed, in first-use order. */
    public List<String> touched() {
        synchronized (touched) {
            return List.copyOf(touched);
        }
    }

    /** The exact bytes read from {@code relative}, so a capture holds what detection saw. */
    public Optional<byte[]> contentRead(String relative) {
        return Optional.ofNullable(contents.get(relative)).map(byte[]::clone);
    }

    /** The file's whole text, or empty when it is missing or unreadable. */
    public Optional<String> read(String relative) {
        touched.add(relative);
        Path file = root.resolve(relative);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] bytes = in.readNBytes(MAX_FILE_BYTES);
            contents.put(relative, bytes);
            return Optional.of(new String(bytes, StandardCharsets.UTF_8));
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "skipping unreadable " + file + ": " + e);
            return Optional.empty();
        }
    }

    /** The file's first line trimmed of whitespace and NULs, or empty when missing. */
    public Optional<String> readLine(String relative) {
        return read(relative).map(SysFs::firstLine);
    }

    public boolean exists(String relative) {
        touched.add(relative);
        return Files.exists(root.resolve(relative));
    }

    public boolean isDirectory(String relative) {
        touched.add(relative);
        return Files.isDirectory(root.resolve(relative));
    }

    /** Names in a directory, sorted; empty when it is missing. */
    public List<String> list(String relative) {
        touched.add(relative);
        Path dir = root.resolve(relative);
        List<String> names = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return names;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path p : entries) {
                names.add(p.getFileName().toString());
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "skipping unreadable directory " + dir + ": " + e);
        }
        Collections.sort(names);
        return names;
    }

    /** Ids {@code N} of entries named {@code prefix + N} in a directory (e.g. cpu0, cpu1). */
    public IdSet listIds(String relative, String prefix) {
        List<Integer> ids = new ArrayList<>();
        for (String name : list(relative)) {
            if (name.startsWith(prefix) && name.length() > prefix.length() && name.length() <= prefix.length() + 7
                    && name.substring(prefix.length()).chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
                ids.add(Integer.parseInt(name.substring(prefix.length())));
                touched.add(relative + "/" + name);
            }
        }
        return IdSet.of(ids.stream().mapToInt(Integer::intValue).toArray());
    }

    /** A list-format file ({@code 0-3,8}), or empty when missing. */
    public Optional<IdSet> readList(String relative) {
        return read(relative).map(text -> IdSet.parseList(text, path(relative)));
    }

    /** A mask-format file ({@code 0000ffff}), or empty when missing. */
    public Optional<IdSet> readMask(String relative) {
        return read(relative).map(text -> IdSet.parseMask(text, path(relative)));
    }

    /** The list file if present, else the mask file. */
    public Optional<IdSet> readListOrMask(String listFile, String maskFile) {
        Optional<IdSet> list = readList(listFile);
        return list.isPresent() ? list : readMask(maskFile);
    }

    /** A file holding one integer (signed), or empty when missing. */
    public Optional<Long> readLong(String relative) {
        return read(relative).map(text -> parseLong(firstLine(text), relative));
    }

    /** The path shown in error messages: rooted like on the machine it came from. */
    public String path(String relative) {
        return root.resolve(relative).toString();
    }

    public TopologyException malformed(String relative, String content, String expected) {
        String shown = content.replace("\n", "\\n").replace("\0", "\\0");
        if (shown.length() > 80) {
            shown = shown.substring(0, 80) + "...";
        }
        return new TopologyException(path(relative) + ": expected " + expected + ", found '" + shown + "'");
    }

    long parseLong(String text, String relative) {
        String t = text.trim();
        if (t.isEmpty() || t.length() > 19 || !t.matches("-?[0-9]+")) {
            throw malformed(relative, text, "an integer");
        }
        try {
            return Long.parseLong(t);
        } catch (NumberFormatException e) {
            throw malformed(relative, text, "an integer");
        }
    }

    static String firstLine(String text) {
        int nl = text.indexOf('\n');
        String line = nl >= 0 ? text.substring(0, nl) : text;
        return line.replace("\0", "").trim();
    }
}
