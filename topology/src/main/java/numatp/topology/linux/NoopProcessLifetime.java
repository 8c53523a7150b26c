package numatp.topology.linux;

/**
 * The fallback when {@code prctl} is unavailable: {@link #setParentDeathSignal} throws ENOSYS and
 * {@link #parentPid()} asks {@link ProcessHandle} (0 when the parent is unknown).
 */
public final class NoopProcessLifetime implements ProcessLifetime {
    private final String reason;

    public NoopProcessLifetime(String reason) {
        this.reason = reason;
    }

    @Override
    public boolean isNative() {
        return false;
    }

    @Override
    public String description() {
        return "no-op: " + reason;
    }

    @Override
    public void setParentDeathSignal(int signal) {
        throw new NativeCallException("prctl", "PR_SET_PDEATHSIG, signal=" + signal + " (" + reason + ")", Errno.ENOSYS);
    }

    @Override
    public long parentPid() {
        return ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(0L);
    }
}
