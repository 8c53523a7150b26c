package numatp.topology.sysfs;

import numatp.topology.HugePages;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Reads {@code .../hugepages/hugepages-<size>kB/{nr,free}_hugepages} directories. */
public final class HugePagesReader {
    private HugePagesReader() {
    }

    /** @param dir e.g. {@code sys/devices/system/node/node0/hugepages} */
    public static List<HugePages> read(SysFs fs, String dir) {
        List<HugePages> result = new ArrayList<>();
        for (String name : fs.list(dir)) {
            if (!name.startsWith("hugepages-")) {
                continue;
            }
            String sub = dir + "/" + name;
            if (!name.endsWith("kB")) {
                throw fs.malformed(sub, name, "a directory named hugepages-<size>kB");
            }
            long sizeKb = fs.parseLong(name.substring("hugepages-".length(), name.length() - 2), sub);
            if (sizeKb <= 0 || sizeKb > Long.MAX_VALUE / 1024) {
                throw fs.malformed(sub, name, "a positive page size");
            }
            long total = fs.readLong(sub + "/nr_hugepages").orElse(0L);
            long free = fs.readLong(sub + "/free_hugepages").orElse(0L);
            if (total < 0 || free < 0) {
                throw fs.malformed(sub + "/nr_hugepages", total + "/" + free, "non-negative counts");
            }
            result.add(new HugePages(sizeKb * 1024, total, free));
        }
        result.sort(Comparator.comparingLong(HugePages::pageSizeBytes));
        return result;
    }
}
