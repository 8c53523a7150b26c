/** Starting a plan's shard workers: pinned teams on this machine, or unpinned ones for a captured topology. */
package numatp.runtime.workers;
