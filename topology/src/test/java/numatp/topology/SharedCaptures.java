package numatp.topology;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Stream;

/**
 * The 19 hwloc captures in {@code ../shared/topologies}, extracted once per JVM into
 * {@code target/tmp/captures} with their symlinks.
 */
public final class SharedCaptures {
    private SharedCaptures() {
    }

    /** The captures folder; the calling test is skipped (or fails under CI) when it is absent. */
    public static Path sharedTopologies() {
        return SharedData.require("topologies");
    }

    public static List<String> names() {
        try (Stream<Path> dirs = Files.list(sharedTopologies())) {
            return dirs.filter(p -> Files.isRegularFile(p.resolve("expected.json")))
                    .map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The capture root (the directory holding sys/ and proc/) of capture {@code name}. */
    public static synchronized Path root(String name, String fsroot) {
        Path base = Paths.get(System.getProperty("java.io.tmpdir")).resolve("captures").resolve(name);
        Path done = base.resolve(".extracted");
        if (!Files.exists(done)) {
            extract(sharedTopologies().resolve(name).resolve(name + ".tar.bz2"), base);
        }
        Path root = base.resolve(Paths.get(fsroot).getFileName().toString());
        if (!Files.isDirectory(root.resolve("sys"))) {
            throw new IllegalStateException("no sys/ in " + root);
        }
        return root;
    }

    private static void extract(Path archive, Path into) {
        try {
            Files.createDirectories(into);
            try (InputStream raw = new BufferedInputStream(Files.newInputStream(archive));
                 TarArchiveInputStream tar = new TarArchiveInputStream(new BZip2CompressorInputStream(raw))) {
                TarArchiveEntry entry;
                while ((entry = tar.getNextEntry()) != null) {
                    Path target = into.resolve(entry.getName()).normalize();
                    if (!target.startsWith(into)) {
                        throw new IOException("entry escapes the extraction dir: " + entry.getName());
                    }
                    if (entry.isDirectory()) {
                        Files.createDirectories(target);
                    } else if (entry.isSymbolicLink()) {
                        Files.createDirectories(target.getParent());
                        Files.deleteIfExists(target);
                        Files.createSymbolicLink(target, Paths.get(entry.getLinkName()));
                    } else if (entry.isFile()) {
                        Files.createDirectories(target.getParent());
                        Files.copy(tar, target, StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
            Files.createFile(into.resolve(".extracted"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot extract " + archive, e);
        }
    }
}
