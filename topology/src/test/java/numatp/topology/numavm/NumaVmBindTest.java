package numatp.topology.numavm;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * {@code tp bind} in a real 2-node guest (QEMU, 1 CPU and 256 MiB per node): two {@code sleep}
 * children planned as groups, bound, and read back from the guest's /proc.
 */
@Tag("numa-vm")
@Timeout(value = 400, unit = TimeUnit.SECONDS)
class NumaVmBindTest {
    @Test
    void twoGroupsAreBoundToTheirNodesAndVerified() throws Exception {
        NumaVm.assumeAvailable();
        NumaVm.Result result = NumaVm.runMain(List.of("-n", "2", "-c", "1", "-m", "256"), BindProbe.class,
                List.of(numatp.topology.IdSet.class, com.fasterxml.jackson.databind.ObjectMapper.class,
                        com.fasterxml.jackson.core.JsonParser.class,
                        Class.forName("com.fasterxml.jackson.annotation.JsonProperty")), // databind needs it; named, not imported
                "", List.of(), 300);
        System.out.println(result.output());
        result.assertRanToTheEnd();
        Map<String, String> probe = result.probe();
        assertEquals("true", probe.get("verified"), result.output());
        assertFalse(probe.getOrDefault("step", "").contains("failed"), result.output());
        int sockets = Integer.parseInt(probe.get("sockets"));
        assertEquals(Math.min(2, sockets), Integer.parseInt(probe.get("groupNodes")), result.output());
    }
}
