/**
 * Waiting and publishing: single-writer sequence flags read with acquire and written with
 * release ({@link numatp.collectives.sync.SequenceFlags}), and the idle strategies a waiter
 * uses between polls.
 */
package numatp.collectives.sync;
