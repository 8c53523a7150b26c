/**
 * The OpenAI-compatible HTTP server: request parsing and validation, chat templates, the\n * continuous-batching scheduler over a {@link numatp.models.tp.SequenceEngine}, streaming, metrics.
 */
package numatp.server;
