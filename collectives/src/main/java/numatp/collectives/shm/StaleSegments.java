package numatp.collectives.shm;

import numatp.collectives.process.ProcessLiveness;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Group files ({@code numatp-*}) whose owner has died, found and removed. The owner is, in order:
 * the pid after {@code .tmp-} (a creator writing the file), the header's creator pid (a ready
 * header), the pid of the engine instance in a {@link ProcessTransport#uniqueName()} name
 * ({@code numatp-g<pid>-...}). A file with none of these is not ours to judge and stays; a file
 * whose owner runs stays. A group that has fully joined has unlinked its file already, so what
 * this finds was left by a process killed while creating or joining.
 */
final class StaleSegments {
    private static final String PREFIX = "numatp-";
    private static final Pattern TEMP_OWNER = Pattern.compile(".*\\.tmp-([0-9]+)");
    private static final Pattern INSTANCE_OWNER = Pattern.compile("numatp-g([0-9]+)-.*");
    private static final System.Logger LOG = System.getLogger(StaleSegments.class.getName());

    private StaleSegments() {
    }

    /** Removes every stale group file in {@code dir} except {@code keep} (the caller's own path); returns those removed. */
    static List<Path> reclaim(Path dir, Path keep) {
        List<Path> removed = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, PREFIX + "*")) {
            for (Path file : files) {
                if (!file.equals(keep) && removeIfStale(file)) {
                    removed.add(file);
                }
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "cannot list " + dir + " for stale group files: " + e.getMessage());
        }
        if (!removed.isEmpty()) {
            LOG.log(System.Logger.Level.INFO, "removed group files of dead processes: " + removed);
        }
        return removed;
    }

    /** Removes {@code file} if its owner is known and no longer runs; true if it was removed. */
    static boolean removeIfStale(Path file) {
        long owner = ownerPid(file);
        if (owner <= 0 || ProcessLiveness.running(owner)) {
            return false;
        }
        try {
            return Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "cannot remove stale group file " + file + " of dead process " + owner
                    + ": " + e.getMessage());
            return false;
        }
    }

    /** The pid that owns {@code file} (see the class comment), or 0 when it cannot be told. */
    static long ownerPid(Path file) {
        String name = file.getFileName().toString();
        Matcher temp = TEMP_OWNER.matcher(name);
        if (temp.matches()) {
            return parse(temp.group(1));
        }
        long creator = creatorPid(file);
        if (creator != 0) {
            return creator;
        }
        Matcher instance = INSTANCE_OWNER.matcher(name);
        return instance.matches() ? parse(instance.group(1)) : 0;
    }

    /** {@link GroupLayout#CREATOR_PID} of a ready header, else 0 (no file, short file, foreign or unfinished header). */
    static long creatorPid(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer header = ByteBuffer.allocate((int) GroupLayout.STATE + 8).order(ByteOrder.nativeOrder());
            while (header.hasRemaining() && ch.read(header) > 0) {
                // read on until the state flag or the end of the file
            }
            if (header.hasRemaining() || header.getLong((int) GroupLayout.MAGIC) != GroupLayout.MAGIC_VALUE
                    || header.getLong((int) GroupLayout.STATE) != GroupLayout.STATE_READY) {
                return 0;
            }
            return header.getLong((int) GroupLayout.CREATOR_PID);
        } catch (NoSuchFileException e) {
            return 0;
        } catch (IOException e) {
            return 0;
        }
    }

    private static long parse(String digits) {
        try {
            return Long.parseLong(digits);
        } catch (NumberFormatException e) {
            return 0; // more digits than a pid has
        }
    }
}
