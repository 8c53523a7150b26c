package numatp.topology.linux;

import java.lang.System.Logger.Level;

/** Chooses the {@link LinuxNuma} for this JVM once, and says why when it is the fallback. */
final class LinuxNumaLoader {
    private static final System.Logger LOG = System.getLogger(LinuxNuma.class.getName());

    private LinuxNumaLoader() {
    }

    private static final class Holder {
        static final LinuxNuma SYSTEM = load();
    }

    static LinuxNuma system() {
        return Holder.SYSTEM;
    }

    private static LinuxNuma load() {
        String os = System.getProperty("os.name", "");
        if (!os.toLowerCase(java.util.Locale.ROOT).contains("linux")) {
            return new NoopLinuxNuma("not Linux (" + os + "): thread and memory binding are disabled");
        }
        try {
            SyscallNumbers numbers = SyscallNumbers.forArch(System.getProperty("os.arch", ""));
            return new JnaLinuxNuma(numbers, KernelFiles.system());
        } catch (UnsupportedOperationException | LinkageError e) {
            String why = "native NUMA calls unavailable (" + e.getMessage()
                    + "): thread and memory binding are disabled";
            LOG.log(Level.WARNING, why);
            return new NoopLinuxNuma(why);
        }
    }
}
