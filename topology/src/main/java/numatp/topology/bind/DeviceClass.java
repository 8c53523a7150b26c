package numatp.topology.bind;

import java.util.Arrays;
import java.util.Locale;

/** The device classes {@code tp bind --by-device} reads from sysfs. */
public enum DeviceClass {
    /** {@code /sys/class/accel/accelN} (NPUs and other compute accelerators), ordered by N. */
    ACCEL("accel", "sys/class/accel/accel*/device/numa_node"),
    /** PCI display controllers (class 0x03xxxx: VGA, 3D, other), ordered by PCI address. */
    GPU("gpu", "sys/bus/pci/devices/*/class 0x03xxxx"),
    /** Network interfaces in {@code /sys/class/net} backed by a PCI device, ordered by name. */
    NIC("nic", "sys/class/net/* with a PCI device");

    private final String label;
    private final String source;

    DeviceClass(String label, String source) {
        this.label = label;
        this.source = source;
    }

    public String label() {
        return label;
    }

    /** Where the devices are read from, for messages. */
    public String source() {
        return source;
    }

    /** From {@code --by-device}: accel, gpu or nic. */
    public static DeviceClass parse(String text) {
        for (DeviceClass c : values()) {
            if (c.label.equals(text == null ? "" : text.toLowerCase(Locale.ROOT))) {
                return c;
            }
        }
        throw new BindException("--by-device: expected one of " + Arrays.stream(values()).map(DeviceClass::label)
                .toList() + ", got " + text);
    }
}
