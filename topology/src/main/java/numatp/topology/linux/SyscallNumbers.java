package numatp.topology.linux;

/**
 * Numbers of the system calls glibc does not wrap (or wraps only in newer versions), for the two
 * 64-bit architectures numatp supports. From {@code arch/x86/entry/syscalls/syscall_64.tbl} and
 * {@code include/uapi/asm-generic/unistd.h}.
 */
public record SyscallNumbers(String arch, long mbind, long setMempolicy, long getMempolicy, long movePages,
                             long getcpu, long gettid) {
    public static final SyscallNumbers X86_64 = new SyscallNumbers("x86_64", 237, 238, 239, 279, 309, 186);
    public static final SyscallNumbers AARCH64 = new SyscallNumbers("aarch64", 235, 237, 236, 239, 168, 178);

    /** {@code migrate_pages(2)}: 256 on x86_64, 238 on aarch64 (asm-generic). */
    public long migratePages() {
        return "x86_64".equals(arch) ? 256 : 238;
    }

    /**
     * The table for {@code os.arch} values as the JVM spells them ({@code amd64}, {@code aarch64}).
     *
     * @throws UnsupportedOperationException for other architectures
     */
    public static SyscallNumbers forArch(String osArch) {
        return switch (osArch) {
            case "amd64", "x86_64" -> X86_64;
            case "aarch64", "arm64" -> AARCH64;
            default -> throw new UnsupportedOperationException(
                    "NUMA system calls are wired for x86_64 and aarch64 only, not " + osArch);
        };
    }
}
