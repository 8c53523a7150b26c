/**
 * What the machine is: NUMA nodes with their CPUs, memory and huge pages, CPUs with their core, package and cache groups, the SLIT distances, what the cgroup allows, and devices with their node. Read from sysfs and procfs under a root directory into an immutable {@code Topology}.
 */
package numatp.topology;
