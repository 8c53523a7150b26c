package numatp.topology.bind;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the devices of one {@link DeviceClass} and their nodes from {@code <root>/sys}, in the order
 * {@code --by-device} hands them out: {@code accel} by N, {@code gpu} by PCI address (the order
 * {@code CUDA_DEVICE_ORDER=PCI_BUS_ID} uses), {@code nic} by interface name (eth2 before eth10).
 * Board management and hypervisor display controllers (ASPEED, Matrox, QEMU, virtio-gpu, VMware,
 * Hyper-V) are PCI class 0x03 too but no GPU: they are left out and named in a note. A missing {@code numa_node} reads as -1 (unknown).
 */
public final class DeviceReader {
    private static final Pattern PCI_ADDRESS = Pattern.compile("\\p{XDigit}{4,}:\\p{XDigit}{2}:\\p{XDigit}{2}\\.[0-7]");
    private static final Pattern NAME_NUMBER = Pattern.compile("(\\D*)(\\d*)(.*)");
    /**
     * PCI vendors whose display controllers are a board management console's or a hypervisor's
     * emulated screen, not GPUs: counted, they would shift every real GPU's index by one.
     */
    private static final Map<String, String> NOT_GPU_VENDORS = Map.of("0x1a03", "ASPEED (board management)",
            "0x102b", "Matrox (board management)", "0x1234", "QEMU standard VGA", "0x1b36", "QEMU QXL",
            "0x1af4", "virtio-gpu", "0x15ad", "VMware SVGA", "0x1414", "Hyper-V", "0x1013", "Cirrus (emulated)");

    /** What was found, with notes on what was left out. */
    public record Scan(DeviceClass kind, List<Device> devices, List<String> notes) {
        public Scan {
            devices = List.copyOf(devices);
            notes = List.copyOf(notes);
        }
    }

    private final Path root;

    public DeviceReader(Path root) {
        this.root = root;
    }

    /** The devices of {@code kind}; a class with no device is an error naming where it looked. */
    public Scan read(DeviceClass kind) {
        List<String> notes = new ArrayList<>();
        List<Device> devices = switch (kind) {
            case ACCEL -> accel();
            case GPU -> gpus(notes);
            case NIC -> nics(notes);
        };
        if (devices.isEmpty()) {
            throw new BindException("--by-device " + kind.label() + ": no " + kind.label() + " device under " + root
                    + " (looked for " + kind.source() + ")" + (notes.isEmpty() ? "" : "; " + String.join("; ", notes)));
        }
        return new Scan(kind, devices, notes);
    }

    private List<Device> accel() {
        List<Device> out = new ArrayList<>();
        for (String name : list("sys/class/accel")) {
            if (!name.matches("accel\\d{1,6}")) {
                continue;
            }
            Path device = root.resolve("sys/class/accel").resolve(name).resolve("device");
            out.add(new Device(name, pciAddressOf(device), node(device.resolve("numa_node"))));
        }
        out.sort(Comparator.comparingInt(d -> Integer.parseInt(d.name().substring("accel".length()))));
        return out;
    }

    private List<Device> gpus(List<String> notes) {
        List<Device> out = new ArrayList<>();
        Path pci = root.resolve("sys/bus/pci/devices");
        for (String address : list("sys/bus/pci/devices")) {
            Path dir = pci.resolve(address);
            String cls = firstLine(dir.resolve("class"));
            if (cls == null || !cls.toLowerCase(Locale.ROOT).startsWith("0x03") || cls.length() != 8) {
                continue;
            }
            String vendor = firstLine(dir.resolve("vendor"));
            String notGpu = vendor == null ? null : NOT_GPU_VENDORS.get(vendor.toLowerCase(Locale.ROOT));
            if (notGpu != null) {
                notes.add("left out " + address + ": a " + notGpu + " display controller, not a GPU");
                continue;
            }
            out.add(new Device(address, address, node(dir.resolve("numa_node"))));
        }
        return out; // list() is sorted: PCI address order
    }

    private List<Device> nics(List<String> notes) {
        List<Device> out = new ArrayList<>();
        List<String> virtual = new ArrayList<>();
        for (String name : list("sys/class/net")) {
            Path pciDevice = pciAncestor(root.resolve("sys/class/net").resolve(name));
            if (pciDevice == null) {
                virtual.add(name);
                continue;
            }
            out.add(new Device(name, pciDevice.getFileName().toString(), node(pciDevice.resolve("numa_node"))));
        }
        if (!virtual.isEmpty()) {
            notes.add("left out interfaces without a PCI device: " + String.join(", ", virtual));
        }
        out.sort(DeviceReader::byNameAndNumber);
        return out;
    }

    /** The PCI device directory a sysfs entry lies under (its real path, walked up), or null. */
    private Path pciAncestor(Path entry) {
        Path real;
        try {
            real = entry.toRealPath();
        } catch (IOException e) {
            return null;
        }
        for (Path p = real; p != null && p.getFileName() != null; p = p.getParent()) {
            if (PCI_ADDRESS.matcher(p.getFileName().toString()).matches()) {
                return p;
            }
        }
        return null;
    }

    private String pciAddressOf(Path device) {
        Path pci = pciAncestor(device);
        return pci == null ? "" : pci.getFileName().toString();
    }

    private int node(Path file) {
        String text = firstLine(file);
        if (text == null) {
            return -1;
        }
        try {
            int node = Integer.parseInt(text);
            if (node >= -1 && node <= numatp.topology.IdSet.MAX_ID) {
                return node;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new BindException(file + ": malformed numa_node '" + text + "' (expected a node id or -1)");
    }

    private List<String> list(String relative) {
        Path dir = root.resolve(relative);
        List<String> names = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return names;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            entries.forEach(e -> names.add(e.getFileName().toString()));
        } catch (IOException e) {
            throw new BindException("cannot list " + dir + ": " + e.getMessage(), e);
        }
        names.sort(null);
        return names;
    }

    private static String firstLine(Path file) {
        try {
            if (!Files.isRegularFile(file)) {
                return null;
            }
            return Files.readString(file, StandardCharsets.UTF_8).lines().findFirst().orElse("").strip();
        } catch (IOException e) {
            return null;
        }
    }

    /** eth2 before eth10: the name's letters, then its number, then the rest. */
    static int byNameAndNumber(Device a, Device b) {
        Matcher x = NAME_NUMBER.matcher(a.name());
        Matcher y = NAME_NUMBER.matcher(b.name());
        if (x.matches() && y.matches()) {
            int c = x.group(1).compareTo(y.group(1));
            if (c != 0) {
                return c;
            }
            if (!x.group(2).isEmpty() && !y.group(2).isEmpty() && x.group(2).length() < 10 && y.group(2).length() < 10) {
                c = Integer.compare(Integer.parseInt(x.group(2)), Integer.parseInt(y.group(2)));
                if (c != 0) {
                    return c;
                }
            }
        }
        return a.name().compareTo(b.name());
    }
}
