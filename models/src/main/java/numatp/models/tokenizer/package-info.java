/**
 * Text to token ids and back: the SentencePiece-style tokenizer of llama2.c and GGUF {@code llama}\n * vocabularies, with byte fallback and incremental UTF-8-safe decoding.
 */
package numatp.models.tokenizer;
