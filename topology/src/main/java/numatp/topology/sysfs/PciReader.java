package numatp.topology.sysfs;

import numatp.topology.PciDevice;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * PCI devices ({@code sys/bus/pci/devices/*}: {@code class}, {@code numa_node}) and
 * accelerators ({@code sys/class/accel/accelN/device/numa_node}).
 */
public final class PciReader {
    private static final String PCI = "sys/bus/pci/devices";
    private static final String ACCEL = "sys/class/accel";

    private PciReader() {
    }

    public static List<PciDevice> devices(SysFs fs) {
        List<PciDevice> result = new ArrayList<>();
        for (String address : fs.list(PCI)) {
            String dir = PCI + "/" + address;
            Optional<String> classText = fs.readLine(dir + "/class");
            if (classText.isEmpty()) {
                continue;
            }
            String hex = classText.get();
            if (hex.startsWith("0x")) {
                hex = hex.substring(2);
            }
            if (!hex.matches("[0-9a-fA-F]{1,6}")) {
                throw fs.malformed(dir + "/class", classText.get(), "a hexadecimal PCI class like 0x010802");
            }
            int node = node(fs, dir + "/numa_node");
            result.add(new PciDevice(address, Integer.parseInt(hex, 16), node));
        }
        return result;
    }

    /** Node by accelerator index N, -1 when the kernel does not know it. */
    public static Map<Integer, Integer> accelerators(SysFs fs) {
        Map<Integer, Integer> result = new TreeMap<>();
        for (int n : fs.listIds(ACCEL, "accel").toArray()) {
            result.put(n, node(fs, ACCEL + "/accel" + n + "/device/numa_node"));
        }
        return result;
    }

    private static int node(SysFs fs, String file) {
        long node = fs.readLong(file).orElse(-1L);
        if (node < -1 || node > numatp.topology.IdSet.MAX_ID) {
            throw fs.malformed(file, Long.toString(node), "a node id or -1");
        }
        return (int) node;
    }
}
