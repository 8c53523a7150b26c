package numatp.topology;

/**
 * The machine description could not be read: a sysfs/procfs file is malformed, a
 * capture is unreadable, or a request names a node or CPU that does not exist. The
 * message names the file (or flag) and the offending content.
 */
public class TopologyException extends NumatpException {
    public TopologyException(String message) {
        super(message);
    }

    public TopologyException(String message, Throwable cause) {
        super(message, cause);
    }
}
