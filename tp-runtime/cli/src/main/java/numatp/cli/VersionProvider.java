package numatp.cli;

import picocli.CommandLine;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** Reports the build's version (filtered into {@code version.properties}) and the JVM. */
final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() throws IOException {
        Properties properties = new Properties();
        try (InputStream in = VersionProvider.class.getResourceAsStream("/numatp/version.properties")) {
            if (in != null) {
                properties.load(in);
            }
        }
        return new String[] {
                "numatp " + properties.getProperty("version", "unknown"),
                "JVM: " + Runtime.version() + " (" + System.getProperty("java.vm.vendor") + ")",
                "OS: " + System.getProperty("os.name") + " " + System.getProperty("os.version")
                        + " " + System.getProperty("os.arch"),
        };
    }
}
