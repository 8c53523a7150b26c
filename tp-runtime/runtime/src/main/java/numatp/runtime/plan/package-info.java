/**
 * The placement planner: topology, configuration and model size in, a\n * {@link numatp.runtime.plan.PlacementPlan} out (shard to node and CPUs, memory per node, the\n * reasons), checked against brute force on small cases.
 */
package numatp.runtime.plan;
