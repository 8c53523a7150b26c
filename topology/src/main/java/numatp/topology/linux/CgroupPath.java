package numatp.topology.linux;


import java.util.Optional;

/** This process's cgroup v2 path from {@code /proc/self/cgroup} (the {@code 0::/path} line). */
public final class CgroupPath {
    private CgroupPath() {
    }

    /** The path (e.g. {@code /system.slice/x.service}, {@code ""} for the root), or empty on cgroup v1 only. */
    public static Optional<String> of(KernelFiles files) {
        return files.read("proc/self/cgroup").flatMap(CgroupPath::parse);
    }

    static Optional<String> parse(String text) {
        for (String line : text.split("\n")) {
            if (line.startsWith("0::")) {
                String path = line.substring(3).strip();
                return Optional.of(path.equals("/") ? "" : path);
            }
        }
        return Optional.empty();
    }
}
