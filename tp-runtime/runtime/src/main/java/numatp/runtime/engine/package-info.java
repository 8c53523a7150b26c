/** From a configuration to a running engine: topology, plan, pinned workers, node-bound communicators and weights. */
package numatp.runtime.engine;
