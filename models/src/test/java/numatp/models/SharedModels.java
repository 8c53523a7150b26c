package numatp.models;

import java.nio.file.Files;
import java.nio.file.Path;

/** Paths of the real model data in ../shared/models (system property numatp.shared.dir). */
public final class SharedModels {
    private SharedModels() {
    }

    public static Path dir() {
        Path p = Path.of(System.getProperty("numatp.shared.dir", "../../shared")).resolve("models");
        if (!Files.isDirectory(p)) {
            throw new IllegalStateException("shared model data not found at " + p.toAbsolutePath());
        }
        return p;
    }

    public static Path stories() {
        return dir().resolve("stories260K.bin");
    }

    public static Path tok512() {
        return dir().resolve("tok512.bin");
    }
}
