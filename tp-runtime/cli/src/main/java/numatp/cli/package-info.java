/**
 * The {@code tp} command line: picocli commands for topology, plan, numa-check, generate, serve,\n * convert and bench, with their shared options; errors as one {@code error:} line.
 */
package numatp.cli;
