package numatp.topology.capture;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import numatp.topology.SharedCaptures;
import numatp.topology.Topology;
import numatp.topology.TopologyDetector;
import numatp.topology.TopologyException;
import numatp.topology.TopologyJson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Capturing a tree and reading the archive back gives the same topology; the tar format holds. */
class CaptureRoundTripTest {
    /**
     * Captures with offline CPUs, sparse and GPU nodes, PCI/DAX symlinks and cgroups; all
     * 19 pass, these keep the suite fast on a 2-core machine.
     */
    static List<String> captures() {
        return Boolean.getBoolean("numatp.allCaptures") ? SharedCaptures.names() : List.of("16amd64-8n2c-cpusets", "offline-cpu0-node0", "nvidiagpunumanodes",
                "32em64t-2n8c+dax+nvme+mic+dimms", "32amd64-4s2n4c-cgroup2", "48amd64-4pa2n6c-sparse");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("captures")
    void captureOfEveryHwlocTreeReadsBackTheSame(String name, @TempDir Path tmp) throws IOException {
        JsonNode expected = new ObjectMapper().readTree(
                SharedCaptures.sharedTopologies().resolve(name).resolve("expected.json").toFile());
        Path root = SharedCaptures.root(name, expected.get("fsroot").asText());
        Path archive = tmp.resolve(name + ".tar.gz");
        Topology captured = Capture.write(root, archive);
        Topology replayed = TopologyDetector.detect(Capture.openRoot(archive, tmp));
        assertEquals(TopologyJson.toJson(captured, true), TopologyJson.toJson(replayed, true), name);
        assertEquals(TopologyJson.toJson(captured, false), TopologyJson.toJson(replayed, false), name);
    }

    @Test
    void longNamesAndLinkTargetsSurviveThroughPax(@TempDir Path tmp) throws IOException {
        String longDir = "sys/devices/" + "pci0000:00/0000:00:01.0/".repeat(6);
        String longLink = "../../../" + longDir.substring(4, longDir.length() - 1);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarWriter tar = new TarWriter(bytes)) {
            tar.directory(longDir);
            tar.file(longDir + "numa_node", "1\n".getBytes());
            tar.symlink("sys/bus/pci/devices/0000:00:01.0", longLink);
        }
        TarReader.extract(new ByteArrayInputStream(bytes.toByteArray()), tmp, "test");
        assertEquals("1\n", Files.readString(tmp.resolve(longDir + "numa_node")));
        Path link = tmp.resolve("sys/bus/pci/devices/0000:00:01.0");
        assertTrue(Files.isSymbolicLink(link));
        assertEquals(longLink, Files.readSymbolicLink(link).toString());
    }

    @Test
    void refusesEntriesEscapingTheDirectory(@TempDir Path tmp) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarWriter tar = new TarWriter(bytes)) {
            tar.file("../evil", new byte[] {1});
        }
        TopologyException e = assertThrows(TopologyException.class,
                () -> TarReader.extract(new ByteArrayInputStream(bytes.toByteArray()), tmp.resolve("x"), "evil.tar"));
        assertTrue(e.getMessage().contains("escapes"), e.getMessage());
    }

    @Test
    void refusesWritingThroughALinkOutOfTheDirectory(@TempDir Path tmp) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarWriter tar = new TarWriter(bytes)) {
            tar.symlink("out", "../..");
            tar.file("out/evil", new byte[] {1});
        }
        assertThrows(TopologyException.class,
                () -> TarReader.extract(new ByteArrayInputStream(bytes.toByteArray()), tmp.resolve("x"), "evil.tar"));
    }

    @Test
    void rejectsCorruptHeaders(@TempDir Path tmp) {
        byte[] junk = new byte[1024];
        junk[0] = 'x';
        TopologyException e = assertThrows(TopologyException.class,
                () -> TarReader.extract(new ByteArrayInputStream(junk), tmp, "junk.tar"));
        assertTrue(e.getMessage().startsWith("junk.tar: tar header checksum mismatch at offset 0"), e.getMessage());
    }
}
