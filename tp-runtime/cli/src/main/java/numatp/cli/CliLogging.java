package numatp.cli;

import java.io.PrintWriter;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Decides how {@link System.Logger} output looks on the command line: one line per
 * record, {@code warning: ...} style, to stderr; debug records only with
 * {@code --verbose}. Library code only logs; this is the one place that formats.
 */
final class CliLogging {
    private CliLogging() {
    }

    static void configure(boolean verbose, PrintWriter err) {
        Logger root = Logger.getLogger("");
        for (Handler handler : root.getHandlers()) {
            root.removeHandler(handler);
        }
        Level level = verbose ? Level.FINE : Level.INFO;
        root.setLevel(level);
        Handler handler = new Handler() {
            @Override
            public void publish(LogRecord record) {
                if (isLoggable(record)) {
                    err.println(getFormatter().format(record));
                    err.flush();
                }
            }

            @Override
            public void flush() {
                err.flush();
            }

            @Override
            public void close() {
                err.flush();
            }
        };
        handler.setLevel(level);
        handler.setFormatter(new OneLineFormatter(verbose));
        root.addHandler(handler);
    }

    private static final class OneLineFormatter extends Formatter {
        private final boolean verbose;

        OneLineFormatter(boolean verbose) {
            this.verbose = verbose;
        }

        @Override
        public String format(LogRecord record) {
            String prefix;
            int value = record.getLevel().intValue();
            if (value >= Level.SEVERE.intValue()) {
                prefix = "error: ";
            } else if (value >= Level.WARNING.intValue()) {
                prefix = "warning: ";
            } else if (value >= Level.INFO.intValue()) {
                prefix = "";
            } else {
                prefix = "debug: ";
            }
            String text = prefix + formatMessage(record);
            if (verbose && record.getThrown() != null) {
                java.io.StringWriter trace = new java.io.StringWriter();
                record.getThrown().printStackTrace(new PrintWriter(trace));
                text = text + System.lineSeparator() + trace;
            }
            return text;
        }
    }
}
