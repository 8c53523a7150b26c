package numatp.topology;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the tests find the project's reference data (hwloc captures, stories260K, GGUF
 * vocabularies, llama.cpp outputs): the folder named by the system property
 * {@value #PROPERTY}, else the variable {@value #DIR_ENV}, else {@code ../shared} next to the
 * checkout. A clone has no such folder, so a test that needs it calls {@link #require} and is
 * skipped with the reason; with {@value #REQUIRED_ENV}{@code =1} (CI) a missing folder fails
 * the test instead, so coverage is never lost silently.
 */
public final class SharedData {
    public static final String PROPERTY = "numatp.shared.dir";
    public static final String DIR_ENV = "NUMATP_SHARED_DIR";
    public static final String REQUIRED_ENV = "NUMATP_SHARED_REQUIRED";
    /** Every skip message starts with this, so a run's skips can be counted and named. */
    public static final String SKIP_PREFIX = "needs the shared data folder";

    private SharedData() {
    }

    /** The configured folder, whether or not it exists. */
    public static Path dir() {
        String configured = System.getProperty(PROPERTY);
        if (configured == null || configured.isBlank()) {
            configured = System.getenv(DIR_ENV);
        }
        if (configured == null || configured.isBlank()) {
            configured = Path.of(System.getProperty("numatp.repo.dir", "."), "..", "shared").toString();
        }
        return Path.of(configured).toAbsolutePath().normalize();
    }

    /** True when the folder exists. */
    public static boolean present() {
        return Files.isDirectory(dir());
    }

    /** True when CI demands the data ({@value #REQUIRED_ENV}=1). */
    public static boolean required() {
        return "1".equals(System.getenv(REQUIRED_ENV)) || Boolean.getBoolean("numatp.shared.required");
    }

    /**
     * The path {@code parts} below the shared folder. When it is missing, the calling test is
     * skipped (an aborted assumption naming the path), or fails when the data is required.
     */
    public static Path require(String... parts) {
        Path p = dir();
        for (String part : parts) {
            p = p.resolve(part);
        }
        if (!Files.exists(p)) {
            String reason = SKIP_PREFIX + " (" + String.join("/", parts) + "): " + p + " is absent; point -D"
                    + PROPERTY + " or " + DIR_ENV + " at a copy";
            if (required()) {
                Assertions.fail(reason + " and " + REQUIRED_ENV + "=1 requires it");
            }
            Assumptions.abort(reason);
        }
        SharedDataReport.recordCaller();
        return p;
    }
}
