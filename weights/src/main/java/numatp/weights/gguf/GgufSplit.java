package numatp.weights.gguf;

import numatp.weights.MappedFile;
import numatp.weights.WeightsException;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Split GGUF files as llama.cpp's {@code gguf-split} writes them: parts named
 * {@code <prefix>-NNNNN-of-MMMMM.gguf} (numbered from 1), each a valid GGUF with the keys
 * {@code split.no} (from 0), {@code split.count} and, in the first, {@code split.tensors.count};
 * the first part holds the model's metadata. Joined, they are one {@link GgufFile} whose
 * tensors are views into their own part, each mapped once.
 */
final class GgufSplit {
    static final String NO = "split.no";
    static final String COUNT = "split.count";
    static final String TENSORS = "split.tensors.count";
    private static final Pattern PART_NAME = Pattern.compile("(.+)-(\\d{5})-of-(\\d{5})\\.gguf");
    private static final int MAX_PARTS = 99_999;

    private GgufSplit() {
    }

    static boolean isSplit(GgufFile part) {
        Object count = part.metadata().get(COUNT);
        return count != null && !Long.valueOf(1).equals(count);
    }

    /** The whole model from any of its parts; {@code given} is closed or owned by the result. */
    static GgufFile join(GgufFile given) {
        Path path = given.path();
        int count = intKey(given, COUNT, 2, MAX_PARTS);
        int no = intKey(given, NO, 0, count - 1);
        String fileName = path.getFileName().toString();
        Matcher m = PART_NAME.matcher(fileName);
        if (!m.matches() || Integer.parseInt(m.group(2)) != no + 1 || Integer.parseInt(m.group(3)) != count) {
            throw new WeightsException(path + ": part " + (no + 1) + " of a GGUF split into " + count
                    + " must be named <prefix>-" + String.format("%05d-of-%05d", no + 1, count) + ".gguf, as gguf-split names them");
        }
        String prefix = m.group(1);
        GgufFile[] parts = new GgufFile[count];
        parts[no] = given;
        try {
            for (int i = 0; i < count; i++) {
                if (parts[i] == null) {
                    Path p = path.resolveSibling(String.format("%s-%05d-of-%05d.gguf", prefix, i + 1, count));
                    if (!p.toFile().isFile()) {
                        throw new WeightsException(path + ": part " + (i + 1) + " of " + count + " is missing: " + p);
                    }
                    parts[i] = GgufFile.openPart(p);
                    checkPart(parts[i], i, count);
                }
            }
            return merge(parts);
        } catch (RuntimeException e) {
            for (GgufFile p : parts) {
                if (p != null && p != given) {
                    p.close();
                }
            }
            throw e;
        }
    }

    private static void checkPart(GgufFile part, int index, int count) {
        int partCount = intKey(part, COUNT, 1, MAX_PARTS);
        int partNo = intKey(part, NO, 0, MAX_PARTS);
        if (partCount != count || partNo != index) {
            throw new WeightsException(part.path() + ": says it is part " + (partNo + 1) + " of " + partCount
                    + ", expected part " + (index + 1) + " of " + count);
        }
    }

    private static GgufFile merge(GgufFile[] parts) {
        GgufFile first = parts[0];
        Map<String, GgufTensorInfo> infos = new LinkedHashMap<>();
        Map<String, GgufFile.Part> partOf = new LinkedHashMap<>();
        List<MappedFile> others = new ArrayList<>();
        for (GgufFile part : parts) {
            GgufFile.Part location = new GgufFile.Part(part.mappedFile(), part.dataStart());
            if (part != first) {
                others.add(part.mappedFile());
            }
            for (GgufTensorInfo t : part.tensorInfos().values()) {
                if (infos.put(t.name(), t) != null) {
                    throw new WeightsException(part.path() + ": tensor " + t.name() + " is also in an earlier part");
                }
                partOf.put(t.name(), location);
            }
        }
        Object expected = first.metadata().get(TENSORS);
        if (expected != null && !Long.valueOf(infos.size()).equals(expected)) {
            throw new WeightsException(first.path() + ": " + TENSORS + " is " + expected + " but the " + parts.length
                    + " parts hold " + infos.size() + " tensors");
        }
        first.mappedFile().closeWith(others);
        return new GgufFile(first.mappedFile(), first.version(), new LinkedHashMap<>(first.metadata()), infos,
                first.dataStart(), partOf, parts.length);
    }

    private static int intKey(GgufFile part, String key, int min, int max) {
        Object v = part.metadata().get(key);
        if (!(v instanceof Long l) || l < min || l > max) {
            throw new WeightsException(part.path() + ": metadata key " + key + " must be an integer in [" + min + ", "
                    + max + "]: " + v);
        }
        return (int) (long) l;
    }
}
