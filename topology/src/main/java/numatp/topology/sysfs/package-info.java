/**
 * Readers of Linux sysfs and procfs files (CPUs, nodes, meminfo, huge pages, cpusets, PCI devices)\n * under a root directory, so a captured machine reads like the live one.
 */
package numatp.topology.sysfs;
