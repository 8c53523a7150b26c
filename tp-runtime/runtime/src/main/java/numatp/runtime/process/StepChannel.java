package numatp.runtime.process;

import numatp.collectives.sync.SequenceFlags;
import numatp.runtime.config.ConfigException;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The shared-memory file through which a coordinator hands each engine step to its worker
 * processes and gets the logits back. One writer per field: the coordinator writes the batch
 * (entry count, token ids, slots, positions, which entries want logits) and then publishes the
 * step's sequence number with release; each worker acquires it, runs the step, and publishes
 * the same number in its own done flag (or in its failed flag, with a message); the worker that
 * holds rank 0 writes the logits of the entries that want them before it publishes done. Flags
 * are 128 bytes apart. The file lives in {@code /dev/shm} under the engine's
 * {@code numatp-g<pid>-...} name, so a coordinator killed before unlinking it leaves a file the
 * next start removes ({@code ProcessTransport.reclaimStale}); the coordinator unlinks it as soon
 * as every worker has mapped it.
 */
final class StepChannel implements AutoCloseable {
    static final long MAGIC_VALUE = 0x6e756d6174707374L; // "numatpst"
    private static final long MAGIC = 0;
    private static final long WORKERS = 8;
    private static final long MAX_BATCH = 12;
    private static final long VOCAB = 16;
    private static final long STEP = 128; // coordinator: sequence of the published step
    private static final long COUNT = 256; // coordinator: entries of the step, -1 = stop
    private static final long WORKER_AREA = 384; // per worker: DONE at +0, collective ns at +8, FAILED at +128
    private static final long WORKER_STRIDE = 256;
    static final int MAX_MESSAGE_BYTES = 1020;
    private static final long MESSAGE_STRIDE = 1024; // per worker: length int, then UTF-8 bytes

    private final Path path;
    private final Arena arena;
    private final MemorySegment file;
    private final int workers;
    private final int maxBatch;
    private final int vocab;
    private final long messages;
    private final long tokens;
    private final long slots;
    private final long positions;
    private final long wanted;
    private final long logits;

    private StepChannel(Path path, Arena arena, MemorySegment file, int workers, int maxBatch, int vocab) {
        this.path = path;
        this.arena = arena;
        this.file = file;
        this.workers = workers;
        this.maxBatch = maxBatch;
        this.vocab = vocab;
        this.messages = WORKER_AREA + workers * WORKER_STRIDE;
        this.tokens = align(messages + workers * MESSAGE_STRIDE);
        this.slots = tokens + 4L * maxBatch;
        this.positions = slots + 4L * maxBatch;
        this.wanted = positions + 4L * maxBatch;
        this.logits = align(wanted + 4L * maxBatch);
    }

    private static long align(long offset) {
        return (offset + 127) & ~127L;
    }

    static long bytes(int workers, int maxBatch, int vocab) {
        return new StepChannel(null, null, null, workers, maxBatch, vocab).logits + 4L * maxBatch * vocab;
    }

    /** Creates the file at {@code path} (which must not exist) for {@code workers} workers. */
    static StepChannel create(Path path, int workers, int maxBatch, int vocab) {
        long size = bytes(workers, maxBatch, vocab);
        Arena arena = Arena.ofShared();
        try (RandomAccessFile raw = new RandomAccessFile(path.toFile(), "rw"); FileChannel channel = raw.getChannel()) {
            raw.setLength(size);
            MemorySegment file = channel.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
            file.set(ValueLayout.JAVA_INT, WORKERS, workers);
            file.set(ValueLayout.JAVA_INT, MAX_BATCH, maxBatch);
            file.set(ValueLayout.JAVA_INT, VOCAB, vocab);
            SequenceFlags.setRelease(file, MAGIC, MAGIC_VALUE);
            return new StepChannel(path, arena, file, workers, maxBatch, vocab);
        } catch (IOException e) {
            arena.close();
            throw new ConfigException("cannot create the step file " + path + " (" + size + " bytes): " + e.getMessage());
        }
    }

    /** Opens the file the coordinator created, checking its shape. */
    static StepChannel open(Path path, int workers, int maxBatch, int vocab) {
        long size = bytes(workers, maxBatch, vocab);
        Arena arena = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            if (channel.size() != size) {
                throw new ConfigException("step file " + path + " has " + channel.size() + " bytes, expected " + size);
            }
            MemorySegment file = channel.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
            if (SequenceFlags.getAcquire(file, MAGIC) != MAGIC_VALUE || file.get(ValueLayout.JAVA_INT, WORKERS) != workers
                    || file.get(ValueLayout.JAVA_INT, MAX_BATCH) != maxBatch || file.get(ValueLayout.JAVA_INT, VOCAB) != vocab) {
                throw new ConfigException("step file " + path + " does not match this worker (workers " + workers
                        + ", max batch " + maxBatch + ", vocabulary " + vocab + ")");
            }
            return new StepChannel(path, arena, file, workers, maxBatch, vocab);
        } catch (NoSuchFileException e) {
            arena.close();
            throw new ConfigException("step file " + path + " does not exist (the coordinator has exited?)");
        } catch (IOException | RuntimeException e) {
            arena.close();
            if (e instanceof ConfigException c) {
                throw c;
            }
            throw new ConfigException("cannot open the step file " + path + ": " + e.getMessage());
        }
    }

    Path path() {
        return path;
    }

    /** Removes the name (every process that mapped the file keeps its memory). */
    void unlink() {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            // Left behind: the next start removes it, its owner being gone by then.
        }
    }

    // Coordinator side.

    /** Writes the batch of the next step (before {@link #publish}). */
    void writeBatch(int n, int[] tokenIds, int[] slotIds, int[] positionIds, float[][] wantedLogits) {
        MemorySegment.copy(tokenIds, 0, file, ValueLayout.JAVA_INT, tokens, n);
        MemorySegment.copy(slotIds, 0, file, ValueLayout.JAVA_INT, slots, n);
        MemorySegment.copy(positionIds, 0, file, ValueLayout.JAVA_INT, positions, n);
        for (int i = 0; i < n; i++) {
            file.set(ValueLayout.JAVA_INT, wanted + 4L * i, wantedLogits[i] != null ? 1 : 0);
        }
        file.set(ValueLayout.JAVA_INT, COUNT, n);
    }

    /** Publishes step {@code sequence} (the batch written before becomes visible with it). */
    void publish(long sequence) {
        SequenceFlags.setRelease(file, STEP, sequence);
    }

    /** Publishes a stop as step {@code sequence}: workers exit. */
    void publishStop(long sequence) {
        file.set(ValueLayout.JAVA_INT, COUNT, -1);
        SequenceFlags.setRelease(file, STEP, sequence);
    }

    long done(int worker) {
        return SequenceFlags.getAcquire(file, WORKER_AREA + worker * WORKER_STRIDE);
    }

    long failed(int worker) {
        return SequenceFlags.getAcquire(file, WORKER_AREA + worker * WORKER_STRIDE + 128);
    }

    /** The message a failed worker left (read after {@link #failed} says so). */
    String message(int worker) {
        long at = messages + worker * MESSAGE_STRIDE;
        int length = Math.min(MAX_MESSAGE_BYTES, Math.max(0, file.get(ValueLayout.JAVA_INT, at)));
        byte[] bytes = new byte[length];
        MemorySegment.copy(file, ValueLayout.JAVA_BYTE, at + 4, bytes, 0, length);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** Copies the logits of entry {@code i} into {@code out}. */
    void readLogits(int i, float[] out) {
        MemorySegment.copy(file, ValueLayout.JAVA_FLOAT, logits + 4L * i * vocab, out, 0, vocab);
    }

    // Worker side.

    long step() {
        return SequenceFlags.getAcquire(file, STEP);
    }

    /** Entries of the published step, -1 for stop; read after {@link #step} acquired it. */
    int count() {
        return file.get(ValueLayout.JAVA_INT, COUNT);
    }

    /** Reads the batch of the acquired step; {@code logits[i]} is {@code buffers[i]} where entry i wants logits. */
    void readBatch(int n, int[] tokenIds, int[] slotIds, int[] positionIds, float[][] logitsOut, float[][] buffers) {
        MemorySegment.copy(file, ValueLayout.JAVA_INT, tokens, tokenIds, 0, n);
        MemorySegment.copy(file, ValueLayout.JAVA_INT, slots, slotIds, 0, n);
        MemorySegment.copy(file, ValueLayout.JAVA_INT, positions, positionIds, 0, n);
        for (int i = 0; i < n; i++) {
            logitsOut[i] = file.get(ValueLayout.JAVA_INT, wanted + 4L * i) != 0 ? buffers[i] : null;
        }
    }

    void writeLogits(int i, float[] values) {
        MemorySegment.copy(values, 0, file, ValueLayout.JAVA_FLOAT, logits + 4L * i * vocab, vocab);
    }

    /** The worker's collective nanoseconds so far, as of its last done step. */
    long collectiveNs(int worker) {
        return file.get(ValueLayout.JAVA_LONG, WORKER_AREA + worker * WORKER_STRIDE + 8);
    }

    /** Publishes step {@code sequence} done, with the worker's collective nanoseconds so far. */
    void markDone(int worker, long sequence, long collectiveNs) {
        file.set(ValueLayout.JAVA_LONG, WORKER_AREA + worker * WORKER_STRIDE + 8, collectiveNs);
        SequenceFlags.setRelease(file, WORKER_AREA + worker * WORKER_STRIDE, sequence);
    }

    /** Leaves {@code message} (cut to {@link #MAX_MESSAGE_BYTES}) and publishes that step {@code sequence} failed. */
    void markFailed(int worker, long sequence, String message) {
        byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
        int length = Math.min(bytes.length, MAX_MESSAGE_BYTES);
        long at = messages + worker * MESSAGE_STRIDE;
        MemorySegment.copy(bytes, 0, file, ValueLayout.JAVA_BYTE, at + 4, length);
        file.set(ValueLayout.JAVA_INT, at, length);
        SequenceFlags.setRelease(file, WORKER_AREA + worker * WORKER_STRIDE + 128, sequence);
    }

    int workers() {
        return workers;
    }

    int maxBatch() {
        return maxBatch;
    }

    int vocab() {
        return vocab;
    }

    @Override
    public void close() {
        arena.close();
    }
}
