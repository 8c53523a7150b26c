package numatp.topology.binding;

import numatp.topology.IdSet;
import numatp.topology.linux.KernelFiles;
import numatp.topology.linux.LinuxNuma;
import numatp.topology.linux.CgroupPath;
import numatp.topology.linux.NativeCallException;

import java.util.Optional;

/**
 * The CPUs this process may use: the affinity of the process's first thread (the launcher
 * thread, which numatp never re-pins, so it keeps what {@code taskset}/the scheduler gave the
 * process), narrowed by the cgroup v2 cpuset when one is readable. Read on each call: cgroup
 * limits can change while the process runs.
 */
final class AllowedCpus {
    private final LinuxNuma numa;
    private final KernelFiles files;

    AllowedCpus(LinuxNuma numa, KernelFiles files) {
        this.numa = numa;
        this.files = files;
    }

    IdSet get() {
        IdSet affinity;
        try {
            affinity = numa.getAffinity((int) ProcessHandle.current().pid());
        } catch (NativeCallException e) {
            affinity = numa.getAffinity(0);
        }
        Optional<IdSet> cgroup = cgroupCpus();
        if (cgroup.isPresent() && !cgroup.get().isEmpty()) {
            IdSet narrowed = affinity.intersect(cgroup.get());
            return narrowed.isEmpty() ? affinity : narrowed;
        }
        return affinity;
    }

    private Optional<IdSet> cgroupCpus() {
        Optional<String> path = CgroupPath.of(files);
        if (path.isEmpty()) {
            return Optional.empty();
        }
        String file = "sys/fs/cgroup" + path.get() + "/cpuset.cpus.effective";
        return files.read(file).filter(s -> !s.isEmpty()).map(s -> IdSet.parseList(s, "/" + file));
    }
}
