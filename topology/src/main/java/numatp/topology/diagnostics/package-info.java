/**
 * Proof of placement: {@link numatp.topology.diagnostics.MemoryDiagnostics} says where a segment's
 * pages really are (match or mismatch, with the likely cause) and whether huge pages back it;
 * {@link numatp.topology.diagnostics.SystemCheck} reports the system settings that decide whether
 * binding works, each with a one-line recommendation. Both return records that a CLI prints as
 * text or JSON.
 */
package numatp.topology.diagnostics;
