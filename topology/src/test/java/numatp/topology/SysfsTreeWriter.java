package numatp.topology;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.StringJoiner;

/** Writes a {@link TopologySpec} as the sysfs/procfs files the kernel would show. */
final class SysfsTreeWriter {
    private SysfsTreeWriter() {
    }

    static Path write(TopologySpec spec, Path root) {
        try {
            writeCpus(spec, root);
            writeNodes(spec, root);
            writeCgroup(spec, root);
            return root;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void writeCpus(TopologySpec spec, Path root) throws IOException {
        Path base = root.resolve("sys/devices/system/cpu");
        String online = spec.fault() == TopologySpec.Fault.CPU_ONLINE ? "0-" : spec.online().toListString();
        put(base.resolve("online"), online + "\n");
        put(base.resolve("possible"), "0-" + (spec.cpuCount() - 1) + "\n");
        for (int c = 0; c < spec.cpuCount(); c++) {
            Path dir = base.resolve("cpu" + c);
            Files.createDirectories(dir);
            if (spec.offline().contains(c)) {
                put(dir.resolve("online"), "0\n");
                continue; // the kernel removes the topology directory of an offline cpu
            }
            put(dir.resolve("online"), "1\n");
            Path topo = dir.resolve("topology");
            IdSet siblings = spec.siblingsOf(c);
            IdSet pkg = IdSet.empty();
            for (int o = 0; o < spec.cpuCount(); o++) {
                if (spec.packageOfCpu()[o] == spec.packageOfCpu()[c]) {
                    pkg = pkg.union(IdSet.of(o));
                }
            }
            boolean badMask = spec.fault() == TopologySpec.Fault.CORE_MASK && c == spec.online().first();
            put(topo.resolve("core_cpus_list"), badMask ? "0-zz\n" : siblings.toListString() + "\n");
            put(topo.resolve("thread_siblings"), siblings.toMaskString() + "\n");
            put(topo.resolve("package_cpus"), pkg.toMaskString() + "\n\0");
            // core_id repeats across packages, as on real machines: never use it to count cores.
            put(topo.resolve("core_id"), (spec.coreOfCpu()[c] % 2) + "\n");
            put(topo.resolve("physical_package_id"), spec.packageOfCpu()[c] + "\n");
        }
    }

    private static void writeNodes(TopologySpec spec, Path root) throws IOException {
        Path base = root.resolve("sys/devices/system/node");
        int[] ids = spec.nodeIds();
        put(base.resolve("online"), IdSet.of(ids).toListString() + "\n");
        for (int i = 0; i < ids.length; i++) {
            Path dir = base.resolve("node" + ids[i]);
            // The cpulist names offline cpus too: they are not usable.
            String cpulist = spec.fault() == TopologySpec.Fault.NODE_CPULIST && i == 0 ? "3-1\n"
                    : spec.cpusOfNode(ids[i]).toListString() + "\n";
            put(dir.resolve("cpulist"), cpulist);
            String memTotal = spec.fault() == TopologySpec.Fault.NODE_MEMINFO && i == 0 ? "lots"
                    : Long.toString(spec.memKb()[i]);
            put(dir.resolve("meminfo"), "Node " + ids[i] + " MemTotal:       " + memTotal + " kB\n"
                    + "Node " + ids[i] + " MemFree:        " + spec.memKb()[i] / 2 + " kB\n"
                    + "Node " + ids[i] + " HugePages_Total:     3\n");
            Path huge = dir.resolve("hugepages/hugepages-2048kB");
            put(huge.resolve("nr_hugepages"), spec.fault() == TopologySpec.Fault.HUGEPAGES && i == 0 ? "x\n" : "3\n");
            put(huge.resolve("free_hugepages"), "1\n");
            if (spec.distanceFault() == TopologySpec.DistanceFault.MISSING && i == ids.length - 1) {
                continue;
            }
            StringJoiner row = new StringJoiner(" ", "", "\n");
            for (int d : spec.distances()[i]) {
                row.add(Integer.toString(d));
            }
            String text = spec.distanceFault() == TopologySpec.DistanceFault.MALFORMED && i == 0
                    ? row.toString().trim() + " 10\n" : row.toString();
            put(dir.resolve("distance"), text);
        }
    }

    private static void writeCgroup(TopologySpec spec, Path root) throws IOException {
        String cpus = spec.fault() == TopologySpec.Fault.CGROUP_CPUS ? "0-3,,\n" : spec.cgroupCpus().toListString() + "\n";
        String mems = spec.cgroupMems().toListString() + "\n";
        switch (spec.cgroupVersion()) {
            case 1 -> {
                put(root.resolve("proc/self/cgroup"), "12:cpuset:/job\n1:name=systemd:/user.slice\n");
                put(root.resolve("proc/mounts"), "cgroup /sys/fs/cgroup/cpuset cgroup rw,nosuid,cpuset 0 0\n");
                put(root.resolve("sys/fs/cgroup/cpuset/job/cpuset.cpus"), cpus);
                put(root.resolve("sys/fs/cgroup/cpuset/job/cpuset.mems"), mems);
            }
            case 2 -> {
                put(root.resolve("proc/self/cgroup"), "0::/system.slice/job.scope\n");
                put(root.resolve("proc/mounts"), "cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid 0 0\n");
                put(root.resolve("sys/fs/cgroup/system.slice/job.scope/cpuset.cpus.effective"), cpus);
                put(root.resolve("sys/fs/cgroup/system.slice/job.scope/cpuset.mems.effective"), mems);
            }
            default -> put(root.resolve("proc/mounts"), "proc /proc proc rw 0 0\n");
        }
    }

    private static final java.util.Set<Path> CREATED = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private static void put(Path file, String text) throws IOException {
        if (CREATED.add(file.getParent())) {
            Files.createDirectories(file.getParent());
        }
        Files.writeString(file, text);
    }
}
