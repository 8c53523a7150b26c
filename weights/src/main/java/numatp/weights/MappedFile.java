package numatp.weights;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/** A read-only memory mapping of a whole checkpoint file (any size), closed with its arena. */
public final class MappedFile implements AutoCloseable {
    private final Path path;
    private final Arena arena;
    private final MemorySegment segment;
    private List<MappedFile> companions = List.of(); // closed with this one: the other parts of a split file

    private MappedFile(Path path, Arena arena, MemorySegment segment) {
        this.path = path;
        this.arena = arena;
        this.segment = segment;
    }

    /** Maps {@code path}; the mapping lives until {@link #close()}. */
    public static MappedFile map(Path path) {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            MemorySegment seg = size == 0 ? MemorySegment.NULL.reinterpret(0)
                    : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            return new MappedFile(path, arena, seg);
        } catch (NoSuchFileException e) {
            arena.close();
            throw new WeightsException(path + ": no such file");
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw new WeightsException(path + ": cannot map: " + e.getMessage(), e);
        }
    }

    public Path path() {
        return path;
    }

    public MemorySegment segment() {
        return segment;
    }

    public long size() {
        return segment.byteSize();
    }

    /**
     * Closing this mapping also closes {@code others} (the further parts of a split GGUF, so
     * whoever owns the first part owns the whole model).
     */
    public synchronized void closeWith(List<MappedFile> others) {
        List<MappedFile> all = new ArrayList<>(companions);
        all.addAll(others);
        companions = List.copyOf(all);
    }

    /** Unmaps the file (and its companions); closing twice is harmless. */
    @Override
    public synchronized void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
        for (MappedFile m : companions) {
            m.close();
        }
    }
}
