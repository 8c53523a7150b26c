package numatp.topology.doctor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import numatp.topology.IdSet;
import numatp.topology.SharedCaptures;
import numatp.topology.Topology;
import numatp.topology.TopologyDetector;
import numatp.topology.linux.KernelFiles;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The doctor over the 19 real machines of the shared captures, planned on every allowed CPU:
 * each check answers (files a capture lacks give unknown, with the reason), none throws.
 */
class DoctorCapturesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static List<String> captures() {
        return SharedCaptures.names();
    }

    @ParameterizedTest
    @MethodSource("captures")
    void everyCheckAnswersOnARealCapture(String name) throws IOException {
        JsonNode expected = JSON.readTree(SharedCaptures.sharedTopologies().resolve(name).resolve("expected.json")
                .toFile());
        Path root = SharedCaptures.root(name, expected.get("fsroot").asText());
        Topology topology = TopologyDetector.detect(root);
        IdSet cpus = topology.allowedCpus();
        IdSet nodes = topology.allowed().nodeIds();
        DoctorInput input = new DoctorInput(new KernelFiles(root), topology, cpus, nodes, 1, -1, Samples.none());
        DoctorReport report = Doctor.standard().run(input, name);
        assertEquals(Doctor.standard().ids(), report.findings().stream().map(Finding::id).toList());
        for (Finding f : report.findings()) {
            assertTrue(!f.found().isBlank(), name + ": " + f.id() + " says nothing");
            if (f.status() == Readiness.UNKNOWN) {
                assertTrue(f.found().length() > 10, name + ": unknown without a reason: " + f.toText());
            }
        }
        // Every capture has /proc/stat and CPUs in sysfs: those two always answer.
        assertTrue(FakeHost.find(report, SmtCheck.ID).status() != Readiness.UNKNOWN, report.toText());
        System.out.println(report.toText());
    }
}
