package numatp.topology;

import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.TestSource;
import org.junit.platform.engine.support.descriptor.ClassSource;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Says, at the end of each module's test run, how many tests used the shared data folder and
 * which were skipped because it is absent, one line each, so a run on a clone names what it did
 * not cover. Registered for every module whose tests have the topology test-jar (ServiceLoader).
 * The lines start with {@value #LINE_PREFIX}; {@code .ci/run} adds them up.
 */
public final class SharedDataReport implements TestExecutionListener {
    public static final String LINE_PREFIX = "[shared-data]";

    /** Top-level test classes that called {@link SharedData#require} successfully. */
    private static final Set<String> USERS = ConcurrentHashMap.newKeySet();

    private final List<String> skipped = new ArrayList<>();
    private int used;

    /** Records the test class on the calling stack as a user of the shared data. */
    static void recordCaller() {
        StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE).forEach(frame -> {
            String name = frame.getDeclaringClass().getName();
            int nested = name.indexOf('$');
            String top = nested < 0 ? name : name.substring(0, nested);
            if (top.endsWith("Test")) {
                USERS.add(top);
            }
        });
    }

    @Override
    public void executionSkipped(TestIdentifier test, String reason) {
        if (reason != null && reason.startsWith(SharedData.SKIP_PREFIX)) {
            skipped.add(describe(test));
        }
    }

    @Override
    public void executionFinished(TestIdentifier test, TestExecutionResult result) {
        if (result.getStatus() == TestExecutionResult.Status.ABORTED) {
            String message = result.getThrowable().map(Throwable::getMessage).orElse("");
            if (message != null && message.startsWith(SharedData.SKIP_PREFIX)) {
                skipped.add(describe(test) + (test.isContainer() ? " (all its tests)" : ""));
            }
            return;
        }
        if (test.isTest() && result.getStatus() == TestExecutionResult.Status.SUCCESSFUL
                && USERS.contains(className(test.getSource().orElse(null)))) {
            used++;
        }
    }

    @Override
    public void testPlanExecutionFinished(TestPlan plan) {
        if (used == 0 && skipped.isEmpty()) {
            return;
        }
        System.out.println(LINE_PREFIX + " " + used + " tests used " + SharedData.dir() + ", " + skipped.size()
                + " skipped because it is absent");
        for (String s : skipped) {
            System.out.println(LINE_PREFIX + " skipped: " + s);
        }
    }

    private static String describe(TestIdentifier test) {
        TestSource source = test.getSource().orElse(null);
        if (source instanceof MethodSource m) {
            String name = simple(m.getClassName()) + "." + m.getMethodName();
            String shown = test.getDisplayName();
            // parameterized and dynamic invocations: say which one
            return shown.startsWith(m.getMethodName() + "(") ? name : name + " " + shown;
        }
        if (source instanceof ClassSource c) {
            return simple(c.getClassName());
        }
        return test.getDisplayName();
    }

    private static String className(TestSource source) {
        String name = source instanceof MethodSource m ? m.getClassName()
                : source instanceof ClassSource c ? c.getClassName() : "";
        int nested = name.indexOf('$');
        return nested < 0 ? name : name.substring(0, nested);
    }

    private static String simple(String className) {
        return className.substring(className.lastIndexOf('.') + 1);
    }
}
