package numatp.topology.capture;

import numatp.topology.Topology;
import numatp.topology.TopologyDetector;
import numatp.topology.TopologyException;
import numatp.topology.sysfs.SysFs;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * Captures: a {@code .tar.gz} of exactly the sysfs/procfs files the detector reads, so
 * a user can attach their machine to a bug report and anyone can replay it with
 * {@code --root}. Symbolic links are kept as links (sysfs reaches PCI devices and
 * nodes through them); unreadable files are skipped.
 */
public final class Capture {
    private static final System.Logger LOG = System.getLogger(Capture.class.getName());

    private Capture() {
    }

    /** Detects the machine under {@code root}, writes what was read to {@code archive}, returns the topology. */
    public static Topology write(Path root, Path archive) {
        SysFs fs = new SysFs(root);
        Topology topology = TopologyDetector.detect(fs);
        try {
            Path realRoot = root.toRealPath();
            Map<String, Entry> entries = new TreeMap<>();
            for (String relative : fs.touched()) {
                collect(fs, realRoot, root, relative, entries);
            }
            Path parent = archive.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(archive));
                 GZIPOutputStream gz = new GZIPOutputStream(out);
                 TarWriter tar = new TarWriter(gz)) {
                for (Map.Entry<String, Entry> e : entries.entrySet()) {
                    Entry entry = e.getValue();
                    switch (entry.kind()) {
                        case DIR -> tar.directory(e.getKey());
                        case LINK -> tar.symlink(e.getKey(), entry.link());
                        case FILE -> tar.file(e.getKey(), entry.content());
                    }
                }
            }
        } catch (IOException e) {
            throw new TopologyException("cannot write capture " + archive + ": " + e.getMessage(), e);
        }
        return topology;
    }

    /**
     * A root to detect from: {@code path} itself when it is a directory, else a
     * {@code .tar.gz} capture extracted into a fresh directory under {@code tempDir}.
     */
    public static Path openRoot(Path path, Path tempDir) {
        if (Files.isDirectory(path)) {
            return path;
        }
        if (!Files.isRegularFile(path)) {
            throw new TopologyException(path + ": no such directory or capture file");
        }
        try {
            Path into = Files.createTempDirectory(tempDir, "numatp-capture-");
            try (InputStream in = Files.newInputStream(path); GZIPInputStream gz = new GZIPInputStream(in)) {
                TarReader.extract(gz, into, path.toString());
            }
            return into;
        } catch (java.util.zip.ZipException e) {
            throw new TopologyException(path + ": not a .tar.gz capture (" + e.getMessage() + ")", e);
        } catch (java.io.EOFException e) {
            throw new TopologyException(path + ": truncated .tar.gz capture", e);
        } catch (IOException e) {
            throw new TopologyException(path + ": cannot read capture: " + e.getMessage(), e);
        }
    }

    private enum Kind { DIR, LINK, FILE }

    private record Entry(Kind kind, String link, byte[] content) {
    }

    /**
     * Adds the links met on the way to {@code relative} (each stored at its real parent)
     * and the file or directory it finally resolves to.
     */
    private static void collect(SysFs fs, Path realRoot, Path root, String relative, Map<String, Entry> entries)
            throws IOException {
        Path current = root;
        for (Path part : Path.of(relative)) {
            Path next = current.resolve(part);
            if (Files.isSymbolicLink(next)) {
                Path realParent = current.toRealPath();
                if (!realParent.startsWith(realRoot)) {
                    return;
                }
                Path target = Files.readSymbolicLink(next);
                if (target.isAbsolute()) {
                    target = realParent.relativize(realRoot.resolve(target.toString().substring(1)));
                }
                String at = realRoot.relativize(realParent.resolve(part)).toString();
                entries.putIfAbsent(at, new Entry(Kind.LINK, target.toString(), null));
            }
            if (!Files.exists(next)) {
                return;
            }
            current = next;
        }
        Path real = current.toRealPath();
        if (!real.startsWith(realRoot) || real.equals(realRoot)) {
            return;
        }
        String at = realRoot.relativize(real).toString();
        if (Files.isDirectory(real)) {
            entries.putIfAbsent(at, new Entry(Kind.DIR, null, null));
        } else if (Files.isRegularFile(real) && !entries.containsKey(at)) {
            var seen = fs.contentRead(relative);
            if (seen.isPresent()) {
                entries.put(at, new Entry(Kind.FILE, null, seen.get()));
                return;
            }
            try (InputStream in = Files.newInputStream(real)) {
                entries.put(at, new Entry(Kind.FILE, null, in.readNBytes(1 << 22)));
            } catch (IOException e) {
                LOG.log(System.Logger.Level.DEBUG, "capture: skipping unreadable " + real + ": " + e);
            }
        }
    }
}
