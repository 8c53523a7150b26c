package numatp.topology.bind;

/**
 * One device {@code --by-device} binds a process next to.
 *
 * @param name    {@code accel0}, a PCI address or an interface name
 * @param address the PCI address behind it, or empty when sysfs does not say
 * @param node    the node sysfs reports ({@code numa_node}), -1 when unknown
 */
public record Device(String name, String address, int node) {
    public Device {
        if (name == null || name.isBlank()) {
            throw new BindException("a device needs a name");
        }
        address = address == null ? "" : address;
        if (node < -1) {
            throw new BindException(name + ": node must be >= -1: " + node);
        }
    }

    /** {@code accel0 (0000:3b:00.0)}, or the name alone. */
    public String label() {
        return address.isEmpty() || address.equals(name) ? name : name + " (" + address + ")";
    }
}
