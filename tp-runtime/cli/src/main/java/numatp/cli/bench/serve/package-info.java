/**
 * {@code tp bench serve}: a closed-loop load client for OpenAI-compatible servers. It
 * speaks only the wire format (JSON requests, server-sent events ending in
 * {@code data: [DONE]}), measures request latency, time to first token and inter-token
 * latency per request ({@link numatp.cli.bench.serve.ResponseRecorder}), summarises
 * them ({@link numatp.cli.bench.serve.ServeBenchSummary}, every figure named in
 * {@link numatp.cli.bench.serve.Metric}), and saves and compares runs
 * ({@link numatp.cli.bench.serve.ServeBenchReport},
 * {@link numatp.cli.bench.serve.Comparison}).
 */
package numatp.cli.bench.serve;
