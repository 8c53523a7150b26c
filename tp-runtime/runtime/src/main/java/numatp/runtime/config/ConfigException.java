package numatp.runtime.config;

import numatp.topology.NumatpException;

/** A configuration value that cannot be used; the message names the flag (or JSON field) and the value. */
public final class ConfigException extends NumatpException {
    public ConfigException(String message) {
        super(message);
    }
}
