package numatp.topology.sysfs;

import numatp.topology.IdSet;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What this process may use, from the cgroup cpuset and the process status.
 *
 * <p>The cgroup is located like hwloc does: the cpuset path comes from
 * {@code /proc/self/cgroup} (a v1 line naming the {@code cpuset} controller, else the
 * v2 {@code 0::} line), else from {@code /proc/self/cpuset}; the mount point from
 * {@code /proc/mounts}. A v1 cpuset mount ({@code cgroup} with the {@code cpuset}
 * option, or the legacy {@code cpuset} filesystem) gives {@code cpuset.cpus} and
 * {@code cpuset.mems} ({@code cpus}/{@code mems} with {@code noprefix} or the legacy
 * filesystem); a v2 mount gives {@code cpuset.cpus.effective} and
 * {@code cpuset.mems.effective}. Then {@code Cpus_allowed_list} and
 * {@code Mems_allowed_list} of {@code /proc/self/status} narrow them further. A source
 * that is missing restricts nothing.
 */
public final class CpusetReader {
    /**
     * @param cpus   allowed CPUs, empty when nothing restricts them
     * @param mems   allowed memory nodes, empty when nothing restricts them
     * @param source where the restriction came from, for humans
     */
    public record Allowed(Optional<IdSet> cpus, Optional<IdSet> mems, String source) {
    }

    private CpusetReader() {
    }

    public static Allowed read(SysFs fs) {
        Optional<IdSet> cpus = Optional.empty();
        Optional<IdSet> mems = Optional.empty();
        List<String> sources = new ArrayList<>();
        Optional<CgroupFiles> cgroup = locate(fs);
        if (cgroup.isPresent()) {
            CgroupFiles files = cgroup.get();
            cpus = fs.readList(files.cpusFile());
            mems = fs.readList(files.memsFile());
            if (cpus.isPresent() || mems.isPresent()) {
                sources.add("cgroup " + files.describe());
            }
        }
        Optional<String> status = fs.read("proc/self/status");
        if (status.isPresent()) {
            Optional<IdSet> statusCpus = statusList(fs, status.get(), "Cpus_allowed_list:");
            Optional<IdSet> statusMems = statusList(fs, status.get(), "Mems_allowed_list:");
            cpus = intersect(cpus, statusCpus);
            mems = intersect(mems, statusMems);
            if (statusCpus.isPresent() || statusMems.isPresent()) {
                sources.add("/proc/self/status");
            }
        }
        return new Allowed(cpus, mems, sources.isEmpty() ? "no restriction found" : String.join(" and ", sources));
    }

    /** The cpus/mems files of this process's cpuset cgroup, relative to the root. */
    record CgroupFiles(String version, String path, String cpusFile, String memsFile) {
        String describe() {
            return version + " " + path + " (/" + cpusFile + ", /" + memsFile + ")";
        }
    }

    static Optional<CgroupFiles> locate(SysFs fs) {
        String v1Path = null;
        String v2Path = null;
        for (String line : fs.read("proc/self/cgroup").orElse("").split("\n")) {
            String[] parts = line.trim().split(":", 3);
            if (parts.length != 3) {
                continue;
            }
            if (parts[1].isEmpty() && parts[0].equals("0")) {
                v2Path = parts[2];
            } else if (List.of(parts[1].split(",")).contains("cpuset")) {
                v1Path = parts[2];
            }
        }
        String legacyPath = fs.readLine("proc/self/cpuset").orElse(null);
        String v1Mount = null;
        boolean v1Prefixed = true;
        String v2Mount = null;
        for (String line : fs.read("proc/mounts").orElse("").split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 4) {
                continue;
            }
            List<String> options = List.of(f[3].split(","));
            if (f[2].equals("cpuset") && v1Mount == null) {
                v1Mount = f[1];
                v1Prefixed = false;
            } else if (f[2].equals("cgroup") && options.contains("cpuset") && v1Mount == null) {
                v1Mount = f[1];
                v1Prefixed = !options.contains("noprefix");
            } else if (f[2].equals("cgroup2") && v2Mount == null) {
                v2Mount = f[1];
            }
        }
        if (v1Mount != null) {
            String path = v1Path != null ? v1Path : legacyPath;
            if (path != null) {
                String dir = join(v1Mount, path);
                String prefix = v1Prefixed ? "cpuset." : "";
                return Optional.of(new CgroupFiles("v1", path, dir + prefix + "cpus", dir + prefix + "mems"));
            }
        }
        if (v2Mount != null) {
            String path = v2Path != null ? v2Path : legacyPath;
            if (path != null) {
                String dir = join(v2Mount, path);
                return Optional.of(new CgroupFiles("v2", path, dir + "cpuset.cpus.effective",
                        dir + "cpuset.mems.effective"));
            }
        }
        return Optional.empty();
    }

    private static String join(String mount, String path) {
        String joined = (mount + "/" + path + "/").replaceAll("/+", "/");
        return joined.startsWith("/") ? joined.substring(1) : joined;
    }

    private static Optional<IdSet> statusList(SysFs fs, String status, String key) {
        for (String line : status.split("\n")) {
            if (line.startsWith(key)) {
                return Optional.of(IdSet.parseList(line.substring(key.length()), fs.path("proc/self/status")
                        + " " + key));
            }
        }
        return Optional.empty();
    }

    private static Optional<IdSet> intersect(Optional<IdSet> a, Optional<IdSet> b) {
        if (a.isEmpty()) {
            return b;
        }
        return b.isEmpty() ? a : Optional.of(a.get().intersect(b.get()));
    }
}
