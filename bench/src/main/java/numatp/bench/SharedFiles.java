package numatp.bench;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reference files from the shared data folder, found as the tests find it:
 * {@code -Dnumatp.shared.dir=DIR}, else the environment variable {@code NUMATP_SHARED_DIR},
 * else {@code ../shared} from the working directory (the repository root). JMH's forked VM
 * inherits the launching VM's {@code -D} options.
 */
final class SharedFiles {
    static final String PROPERTY = "numatp.shared.dir";
    static final String ENV = "NUMATP_SHARED_DIR";

    private SharedFiles() {
    }

    /** The file {@code parts} under the shared folder; fails naming the path and how to point at the folder. */
    static Path require(String... parts) {
        Path file = folder();
        for (String p : parts) {
            file = file.resolve(p);
        }
        if (!Files.isRegularFile(file)) {
            throw new BenchException("needs the shared data file " + file.toAbsolutePath().normalize()
                    + ", which is absent: pass -D" + PROPERTY + "=DIR (or set " + ENV + ") to the shared data folder");
        }
        return file;
    }

    private static Path folder() {
        String dir = System.getProperty(PROPERTY);
        if (dir == null || dir.isBlank()) {
            dir = System.getenv(ENV);
        }
        return Path.of(dir == null || dir.isBlank() ? "../shared" : dir);
    }
}
