package numatp.topology.linux;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes a minimal sysfs/procfs tree under a temp directory for {@link KernelFiles}. */
public final class FakeSysfs {
    private final Path root;

    public FakeSysfs(Path root) {
        this.root = root;
        write("sys/devices/system/cpu/possible", "0-3");
    }

    public KernelFiles files() {
        return new KernelFiles(root);
    }

    /** A node with CPUs (kernel list, may be "") and total/free MiB. */
    public FakeSysfs node(int node, String cpus, long totalMib, long freeMib) {
        String dir = "sys/devices/system/node/node" + node + "/";
        write(dir + "cpulist", cpus + "\n");
        write(dir + "meminfo", "Node " + node + " MemTotal:       " + totalMib * 1024 + " kB\n"
                + "Node " + node + " MemFree:        " + freeMib * 1024 + " kB\n"
                + "Node " + node + " MemUsed:        " + (totalMib - freeMib) * 1024 + " kB\n");
        return this;
    }

    public FakeSysfs nodes(String online) {
        write("sys/devices/system/node/online", online + "\n");
        write("sys/devices/system/node/possible", online + "\n");
        write("sys/devices/system/node/has_memory", online + "\n");
        return this;
    }

    public FakeSysfs memAvailableMib(long mib) {
        write("proc/meminfo", "MemTotal:       99999999 kB\nMemFree:        1000 kB\nMemAvailable:   " + mib * 1024 + " kB\n");
        return this;
    }

    public FakeSysfs write(String relative, String content) {
        try {
            Path file = root.resolve(relative);
            Files.createDirectories(file.getParent());
            Files.writeString(file, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }
}
