package numatp.topology.linux;

import java.lang.System.Logger.Level;
import java.util.Locale;

/** Chooses the {@link ProcessLifetime} for this JVM once, and says why when it is the fallback. */
final class ProcessLifetimeLoader {
    private static final System.Logger LOG = System.getLogger(ProcessLifetime.class.getName());

    private ProcessLifetimeLoader() {
    }

    private static final class Holder {
        static final ProcessLifetime SYSTEM = load();
    }

    static ProcessLifetime system() {
        return Holder.SYSTEM;
    }

    private static ProcessLifetime load() {
        String os = System.getProperty("os.name", "");
        if (!os.toLowerCase(Locale.ROOT).contains("linux")) {
            return new NoopProcessLifetime("not Linux (" + os + "): no parent-death signal");
        }
        try {
            return new JnaProcessLifetime();
        } catch (UnsupportedOperationException | LinkageError e) {
            String why = "prctl unavailable (" + e.getMessage() + "): no parent-death signal";
            LOG.log(Level.WARNING, why);
            return new NoopProcessLifetime(why);
        }
    }
}
