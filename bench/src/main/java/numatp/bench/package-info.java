/**
 * JMH benchmark suites for the allreduce, kernels and the planner; built into benchmarks.jar.
 */
package numatp.bench;
