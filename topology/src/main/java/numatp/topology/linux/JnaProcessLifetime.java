package numatp.topology.linux;

import com.sun.jna.Library;
import com.sun.jna.Native;

/** {@link ProcessLifetime} over libc through JNA; errors from {@link Native#getLastError()}. */
final class JnaProcessLifetime implements ProcessLifetime {
    /** {@code PR_SET_PDEATHSIG} from {@code <linux/prctl.h>}, the same on every architecture. */
    static final int PR_SET_PDEATHSIG = 1;

    /** The libc functions used; package-private so JNA types stay inside this class. */
    interface LibC extends Library {
        int prctl(int option, long arg2, long arg3, long arg4, long arg5);

        int getppid();
    }

    private final LibC libc = Native.load("c", LibC.class);

    @Override
    public boolean isNative() {
        return true;
    }

    @Override
    public String description() {
        return "JNA/libc prctl";
    }

    @Override
    public void setParentDeathSignal(int signal) {
        if (libc.prctl(PR_SET_PDEATHSIG, signal, 0, 0, 0) != 0) {
            throw new NativeCallException("prctl", "PR_SET_PDEATHSIG, signal=" + signal, Native.getLastError());
        }
    }

    @Override
    public long parentPid() {
        return libc.getppid();
    }
}
