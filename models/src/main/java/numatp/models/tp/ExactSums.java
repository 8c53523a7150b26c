package numatp.models.tp;

/**
 * The fixed-point arithmetic of {@link Reduction#EXACT}. A unit's f32 dot product v becomes
 * the integer round(v * 2^32) (a multiple of 2.3e-10); a shard adds its units' integers in a
 * long, exactly. For the allreduce the long n is split into three 18-bit limbs,
 * n = a * 2^36 + b * 2^18 + c with b, c in [0, 2^18) and a signed: sums of up to
 * {@link #MAX_RANKS} limbs stay below 2^24, where every f32 sum is exact whatever the order
 * or grouping, so the reassembled total is the exact integer sum on every rank.
 *
 * <p>Ranges: exact while every total is below 2^21 in magnitude (|a| < 2^17); activations of
 * that size mean a diverged model. A unit value that is NaN, infinite or at least 2^24 in
 * magnitude poisons its output element: the result is NaN rather than a silently wrapped
 * integer.
 */
final class ExactSums {
    /** Ranks whose limbs an f32 allreduce adds exactly (64 x 2^18 = 2^24). */
    static final int MAX_RANKS = 64;
    private static final double SCALE = 0x1p32;
    private static final double UNSCALE = 0x1p-32;
    private static final float LIMIT = 0x1p24f;
    private static final int LIMB_BITS = 18;
    private static final long LIMB_MASK = (1L << LIMB_BITS) - 1;

    private ExactSums() {
    }

    /** round(v * 2^32) (ties to even); only meaningful where {@link #poison} is 0. */
    static long fixed(float v) {
        return (long) Math.rint(v * SCALE);
    }

    /** 0 for a usable unit value, NaN for one that is NaN, infinite or too large (see the class comment). */
    static float poison(float v) {
        return Math.abs(v) < LIMIT ? 0f : Float.NaN;
    }

    /** The f32 value of a total: NaN when poisoned, else n / 2^32 rounded to nearest. */
    static float value(long n, float poison) {
        return poison == 0f ? (float) (n * UNSCALE) : Float.NaN;
    }

    /** Limb c (bits 0-17) of n, carrying the poison so that a NaN survives the allreduce. */
    static float low(long n, float poison) {
        return (float) (n & LIMB_MASK) + poison;
    }

    /** Limb b (bits 18-35) of n. */
    static float middle(long n) {
        return (float) ((n >> LIMB_BITS) & LIMB_MASK);
    }

    /** Limb a (bits 36 and up, signed) of n. */
    static float high(long n) {
        return (float) (n >> (2 * LIMB_BITS));
    }

    /** The f32 value of the summed limbs: {@link #value} of a * 2^36 + b * 2^18 + c, NaN when any is not finite. */
    static float value(float high, float middle, float low) {
        if (!Float.isFinite(high) || !Float.isFinite(middle) || !Float.isFinite(low)) {
            return Float.NaN;
        }
        long n = ((long) high << (2 * LIMB_BITS)) + ((long) middle << LIMB_BITS) + (long) low;
        return value(n, 0f);
    }
}
