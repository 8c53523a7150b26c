/**
 * The process layout of an engine: one worker JVM per planned node, born bound to it, holding
 * the node's shards ({@link numatp.runtime.process.NodeWorker}), driven step by step over shared
 * memory by the coordinator's {@link numatp.runtime.process.ProcessEngine}.
 */
package numatp.runtime.process;
