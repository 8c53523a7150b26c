/**
 * {@code tp doctor}: is this host ready to serve? One small {@link numatp.topology.doctor.HostCheck}
 * per concern (CPU governor, NUMA balancing, transparent and reserved huge pages, swap, IRQ
 * affinity, cgroup limits, busy processes, CPU steal, SMT), each reading sysfs/procfs under a
 * root (the live {@code /} or a capture) and answering ok, warn, fail or unknown with the fix.
 * {@link numatp.topology.doctor.Doctor} runs them; {@link numatp.topology.doctor.DoctorReport}
 * holds the verdict and exit code; {@link numatp.topology.doctor.DoctorJson} writes the JSON.
 */
package numatp.topology.doctor;
