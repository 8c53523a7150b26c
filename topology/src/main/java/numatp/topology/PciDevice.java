package numatp.topology;

/**
 * A PCI device and the NUMA node it is attached to.
 *
 * @param pciAddress domain:bus:device.function, e.g. {@code 0000:3b:00.0}
 * @param classCode  the 24-bit PCI class code (class, subclass, prog-if), e.g. 0x010802 for NVMe
 * @param node       the device's node, or -1 when the kernel does not know it
 */
public record PciDevice(String pciAddress, int classCode, int node) {
    public PciDevice {
        if (pciAddress == null || pciAddress.isBlank()) {
            throw new TopologyException("pci device address must not be empty");
        }
        if (classCode < 0 || classCode > 0xFFFFFF) {
            throw new TopologyException(pciAddress + ": class code must be 24 bits: " + classCode);
        }
        if (node < -1) {
            throw new TopologyException(pciAddress + ": node must be >= -1: " + node);
        }
    }

    /** Processing accelerators (0x12), co-processors (0x0b40) and 3D/display controllers (0x03). */
    public boolean isAccelerator() {
        int base = classCode >> 16;
        int sub = (classCode >> 8) & 0xFF;
        return base == 0x12 || base == 0x03 || (base == 0x0b && sub == 0x40);
    }
}
