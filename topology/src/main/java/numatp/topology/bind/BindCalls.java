package numatp.topology.bind;

import numatp.topology.IdSet;
import numatp.topology.linux.LinuxNuma;
import numatp.topology.linux.NativeCallException;

/**
 * The two calls {@code tp bind --apply} makes on other processes; failures throw
 * {@link NativeCallException} with the errno (EPERM, ESRCH, ...). Tests give a scripted fake.
 */
public interface BindCalls {
    /** {@code sched_setaffinity(tid)}. */
    void setAffinity(int tid, IdSet cpus);

    /** {@code migrate_pages(pid, from, to)}: the number of pages that could not be moved. */
    long migratePages(int pid, IdSet fromNodes, IdSet toNodes);

    /** The calls through the native layer (the no-op fallback answers ENOSYS). */
    static BindCalls of(LinuxNuma numa) {
        return new BindCalls() {
            @Override
            public void setAffinity(int tid, IdSet cpus) {
                numa.setAffinity(tid, cpus);
            }

            @Override
            public long migratePages(int pid, IdSet fromNodes, IdSet toNodes) {
                return numa.migratePages(pid, fromNodes, toNodes);
            }
        };
    }
}
