package numatp.models.tp;

import numatp.models.ModelException;

import java.util.Locale;

/**
 * How a shard's partial sums of the row-parallel products (attention output, feed-forward
 * down) become the full sums.
 * <ul>
 * <li>{@link #FAST}: each shard sums its columns in f32 and the allreduce adds the shards'
 *     f32 partials in rank order. Results differ between shard counts in the last bits (f32
 *     addition is not associative): on ../shared/models/realshapes up to 2.2e-6 in a logit.</li>
 * <li>{@link #EXACT}: the columns are cut into reduction units that do not depend on the
 *     shard count (heads of the output projection, blocks of down); each unit's f32 dot
 *     product is rounded to a multiple of 2^-32 and the units are summed as integers, carried
 *     through the f32 allreduce as three 18-bit limbs, which f32 adds exactly. Integer sums do
 *     not depend on grouping, so every shard count whose plan keeps the units whole gives
 *     bitwise the logits of one shard. Costs three times the allreduce bytes and a rounding
 *     per unit and row; output-projection heads that cut their tensor's blocks are held as f32.
 *     See {@link ExactSums} for the ranges.</li>
 * </ul>
 */
public enum Reduction {
    FAST,
    EXACT;

    /** {@code fast} or {@code exact} (any case), else a {@link ModelException} naming {@code flag}. */
    public static Reduction parse(String value, String flag) {
        if (value != null) {
            for (Reduction r : values()) {
                if (r.name().equalsIgnoreCase(value.trim())) {
                    return r;
                }
            }
        }
        throw new ModelException(flag + " must be fast or exact: " + value);
    }

    /** The flag's spelling: {@code fast}, {@code exact}. */
    public String flagValue() {
        return name().toLowerCase(Locale.ROOT);
    }
}
