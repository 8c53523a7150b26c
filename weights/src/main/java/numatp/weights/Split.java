package numatp.weights;

import java.util.Arrays;

/**
 * How {@code total} units (rows, heads, columns) are divided among {@code parts()}
 * shards: part p owns [start(p), start(p) + size(p)). Uneven splits are normal: the
 * first {@code total % parts} parts get one unit more. Computed once, validated, shared.
 */
public final class Split {
    private final int total;
    private final int[] starts; // [parts + 1], starts[parts] == total

    private Split(int total, int[] starts) {
        this.total = total;
        this.starts = starts;
    }

    /** Near-even split of {@code total} units into {@code parts} parts (sizes differ by at most one). */
    public static Split even(int total, int parts) {
        if (parts <= 0) {
            throw new WeightsException("split into " + parts + " parts: need at least one");
        }
        if (total < 0) {
            throw new WeightsException("split of " + total + " units: negative");
        }
        int[] starts = new int[parts + 1];
        int base = total / parts;
        int extra = total % parts;
        for (int p = 0; p < parts; p++) {
            starts[p + 1] = starts[p] + base + (p < extra ? 1 : 0);
        }
        return new Split(total, starts);
    }

    /** Splits {@code total} in units of {@code granule} (e.g. a quantisation block); the remainder goes to the last part. */
    public static Split granular(int total, int parts, int granule) {
        if (granule <= 0) {
            throw new WeightsException("split granule must be positive: " + granule);
        }
        Split blocks = even(total / granule, parts);
        int[] starts = new int[parts + 1];
        for (int p = 0; p < parts; p++) {
            starts[p + 1] = blocks.start(p + 1) * granule;
        }
        starts[parts] = total;
        return new Split(total, starts);
    }

    /** Each part p owns [starts[p], starts[p+1]); validates that the bounds are monotonic and cover [0, total). */
    public static Split of(int[] starts) {
        int[] copy = starts.clone();
        if (copy.length < 2 || copy[0] != 0) {
            throw new WeightsException("split bounds must start at 0 and name at least one part: " + Arrays.toString(starts));
        }
        for (int p = 1; p < copy.length; p++) {
            if (copy[p] < copy[p - 1]) {
                throw new WeightsException("split bounds must not decrease: " + Arrays.toString(starts));
            }
        }
        return new Split(copy[copy.length - 1], copy);
    }

    /** The same parts in units {@code unit} times as small (heads to columns: {@code scaled(headSize)}). */
    public Split scaled(int unit) {
        if (unit <= 0) {
            throw new WeightsException("split unit must be positive: " + unit);
        }
        int[] scaled = new int[starts.length];
        for (int p = 0; p < starts.length; p++) {
            scaled[p] = Math.multiplyExact(starts[p], unit);
        }
        return new Split(scaled[scaled.length - 1], scaled);
    }

    public int total() {
        return total;
    }

    public int parts() {
        return starts.length - 1;
    }

    public int start(int part) {
        return starts[part];
    }

    public int size(int part) {
        return starts[part + 1] - starts[part];
    }

    /** Largest part (buffers sized by it serve every part). */
    public int maxSize() {
        int max = 0;
        for (int p = 0; p < parts(); p++) {
            max = Math.max(max, size(p));
        }
        return max;
    }

    @Override
    public String toString() {
        int[] sizes = new int[parts()];
        for (int p = 0; p < sizes.length; p++) {
            sizes[p] = size(p);
        }
        return "Split" + Arrays.toString(sizes);
    }
}
