package numatp.collectives.sync;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The CPU the calling thread runs on, from libc's {@code sched_getcpu} (glibc answers from the
 * rseq area or the vDSO: tens of nanoseconds, no system call). A scheduling hint only: the
 * thread may move right after the call. Without the function (another libc, native access
 * denied) {@link #get()} answers -1.
 */
public final class CurrentCpu {
    private static final MethodHandle SCHED_GETCPU = lookup();

    private CurrentCpu() {
    }

    /** The current CPU, or -1 when unknown. */
    public static int get() {
        if (SCHED_GETCPU == null) {
            return -1;
        }
        try {
            return (int) SCHED_GETCPU.invokeExact();
        } catch (Throwable e) {
            return -1;
        }
    }

    public static boolean available() {
        return SCHED_GETCPU != null;
    }

    private static MethodHandle lookup() {
        try {
            Linker linker = Linker.nativeLinker();
            return linker.defaultLookup().find("sched_getcpu")
                    // critical: a leaf call that neither blocks nor calls back, so no thread-state transition.
                    .map(f -> linker.downcallHandle(f, FunctionDescriptor.of(ValueLayout.JAVA_INT),
                            Linker.Option.critical(false)))
                    .orElse(null);
        } catch (RuntimeException e) {
            // UnsupportedOperationException (no native linker) or IllegalCallerException (native access denied).
            return null;
        }
    }
}
