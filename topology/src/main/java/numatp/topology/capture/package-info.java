/**
 * Capturing this machine's sysfs/procfs into a tar archive for a bug report, and reading such an\n * archive back as a topology root.
 */
package numatp.topology.capture;
