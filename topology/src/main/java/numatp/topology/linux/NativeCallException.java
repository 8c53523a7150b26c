package numatp.topology.linux;

import numatp.topology.NumatpException;

/**
 * A system call failed. The message names the call, its arguments in user terms and the errno:
 * {@code mbind failed: node=1, bytes=268435456; errno=1 (EPERM)}.
 */
public class NativeCallException extends NumatpException {
    private final String call;
    private final int errno;

    public NativeCallException(String call, String context, int errno) {
        super(call + " failed: " + context + "; errno=" + errno + " (" + Errno.name(errno) + ")");
        this.call = call;
        this.errno = errno;
    }

    public String call() {
        return call;
    }

    public int errno() {
        return errno;
    }

    public String errnoName() {
        return Errno.name(errno);
    }

    /** True when the kernel (or a seccomp filter) refused the call rather than failing it. */
    public boolean refused() {
        return Errno.meansRefused(errno);
    }
}
