package numatp.topology.layout;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Build guard: every main package of every module says what it is for in a package-info.java. */
class PackageInfoTest {
    @Test
    void everyMainPackageHasAPackageInfo() throws IOException {
        Path repo = Path.of(System.getProperty("numatp.repo.dir", "..")).toAbsolutePath().normalize();
        Assumptions.assumeTrue(Files.isRegularFile(repo.resolve("pom.xml")) && Files.isDirectory(repo.resolve("topology")),
                "needs the repository root (system property numatp.repo.dir): " + repo);
        List<String> missing;
        try (Stream<Path> files = Files.walk(repo)) {
            missing = files.filter(p -> p.toString().endsWith(".java"))
                    .filter(p -> p.toString().contains("/src/main/java/") && !p.toString().contains("/target/"))
                    .map(Path::getParent).distinct()
                    .filter(dir -> !Files.isRegularFile(dir.resolve("package-info.java")))
                    .map(dir -> repo.relativize(dir).toString()).sorted().toList();
        }
        assertEquals(List.of(), missing, "packages without a package-info.java saying what they are for");
    }
}
