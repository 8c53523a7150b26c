package numatp.weights.quant;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Encodes one block of f32 values as each type here by plain min/max rounding: scales from
 * each (sub-)block's range, quants rounded to nearest. Not llama-quantize's error-minimising
 * search (its blocks are more accurate); every decoded value is within one quantisation step
 * of the input. For test models and {@code tp convert}, not for matching llama.cpp's files.
 */
public final class MinMaxEncoder {
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private MinMaxEncoder() {
    }

    /** Q4_1 block of v[at, at + 32) at byte {@code block} of {@code out}. */
    public static void q41(float[] v, int at, MemorySegment out, long block) {
        int[] q = new int[32];
        asymmetric32(v, at, 15, out, block + Q41Layout.D, block + Q41Layout.M, q);
        packNibbles32(q, out, block + Q41Layout.QS);
    }

    /** Q5_1 block of v[at, at + 32) at byte {@code block} of {@code out}. */
    public static void q51(float[] v, int at, MemorySegment out, long block) {
        int[] q = new int[32];
        asymmetric32(v, at, 31, out, block + Q51Layout.D, block + Q51Layout.M, q);
        packNibbles32(q, out, block + Q51Layout.QS);
        out.set(I32, block + Q51Layout.QH, highBits32(q));
    }

    /** Q5_0 block of v[at, at + 32): d = (the value of largest magnitude) / -16, q = round(v / d) + 16 in 0..31. */
    public static void q50(float[] v, int at, MemorySegment out, long block) {
        float amax = 0f;
        float max = 0f;
        for (int j = 0; j < 32; j++) {
            if (Math.abs(v[at + j]) > amax) {
                amax = Math.abs(v[at + j]);
                max = v[at + j];
            }
        }
        float d = half(max / -16f);
        int[] q = new int[32];
        for (int j = 0; j < 32; j++) {
            q[j] = d == 0f ? 16 : clamp(Math.round(v[at + j] / d) + 16, 0, 31);
        }
        out.set(I16, block + Q50Layout.D, Float.floatToFloat16(d));
        packNibbles32(q, out, block + Q50Layout.QS);
        out.set(I32, block + Q50Layout.QH, highBits32(q));
    }

    /** Q2_K super-block of v[at, at + 256). */
    public static void q2k(float[] v, int at, MemorySegment out, long block) {
        out.asSlice(block, Q2KLayout.BLOCK_BYTES).fill((byte) 0);
        int[] sc = new int[16];
        int[] mn = new int[16];
        int[] q = new int[256];
        scaledMin(v, at, 16, 3, 15, out, block + Q2KLayout.D, block + Q2KLayout.DMIN, sc, mn, q);
        for (int i = 0; i < 16; i++) {
            out.set(ValueLayout.JAVA_BYTE, block + Q2KLayout.SCALES + i, (byte) (sc[i] | (mn[i] << 4)));
        }
        for (int e = 0; e < 256; e++) {
            long at2 = block + Q2KLayout.QS + 32 * (e / 128) + e % 32;
            orByte(out, at2, q[e] << (2 * ((e % 128) / 32)));
        }
    }

    /** Q3_K super-block of v[at, at + 256): sub-block scales amax / 3, q in -3..3 (-4 unused). */
    public static void q3k(float[] v, int at, MemorySegment out, long block) {
        out.asSlice(block, Q3KLayout.BLOCK_BYTES).fill((byte) 0);
        int[] sc = new int[16];
        int[] q = new int[256];
        symmetric(v, at, 16, 3, 31, out, block + Q3KLayout.D, sc, q);
        for (int i = 0; i < 16; i++) {
            int s = sc[i] + 32;
            orByte(out, block + Q3KLayout.SCALES + i % 8, (s & 0x0F) << (i < 8 ? 0 : 4));
            orByte(out, block + Q3KLayout.SCALES + 8 + i % 4, (s >>> 4) << (2 * (i / 4)));
        }
        for (int e = 0; e < 256; e++) {
            int u = q[e] + 4;
            orByte(out, block + Q3KLayout.QS + 32 * (e / 128) + e % 32, (u & 3) << (2 * ((e % 128) / 32)));
            orByte(out, block + Q3KLayout.HMASK + e % 32, (u >>> 2) << (e / 32));
        }
    }

    /** Q4_K super-block of v[at, at + 256). */
    public static void q4k(float[] v, int at, MemorySegment out, long block) {
        out.asSlice(block, Q4KLayout.BLOCK_BYTES).fill((byte) 0);
        int[] sc = new int[8];
        int[] mn = new int[8];
        int[] q = new int[256];
        scaledMin(v, at, 32, 15, 63, out, block + Q4KLayout.D, block + Q4KLayout.DMIN, sc, mn, q);
        packScaleMin6(sc, mn, out, block + Q4KLayout.SCALES);
        for (int e = 0; e < 256; e++) {
            orByte(out, block + Q4KLayout.QS + 32 * (e / 64) + e % 32, q[e] << (4 * ((e / 32) % 2)));
        }
    }

    /** Q5_K super-block of v[at, at + 256). */
    public static void q5k(float[] v, int at, MemorySegment out, long block) {
        out.asSlice(block, Q5KLayout.BLOCK_BYTES).fill((byte) 0);
        int[] sc = new int[8];
        int[] mn = new int[8];
        int[] q = new int[256];
        scaledMin(v, at, 32, 31, 63, out, block + Q5KLayout.D, block + Q5KLayout.DMIN, sc, mn, q);
        packScaleMin6(sc, mn, out, block + Q5KLayout.SCALES);
        for (int e = 0; e < 256; e++) {
            orByte(out, block + Q5KLayout.QS + 32 * (e / 64) + e % 32, (q[e] & 0x0F) << (4 * ((e / 32) % 2)));
            orByte(out, block + Q5KLayout.QH + e % 32, (q[e] >>> 4) << (e / 32));
        }
    }

    /** Q6_K super-block of v[at, at + 256): sub-block scales amax / 31, q in -31..31. */
    public static void q6k(float[] v, int at, MemorySegment out, long block) {
        out.asSlice(block, Q6KLayout.BLOCK_BYTES).fill((byte) 0);
        int[] sc = new int[16];
        int[] q = new int[256];
        symmetric(v, at, 16, 31, 127, out, block + Q6KLayout.D, sc, q);
        for (int i = 0; i < 16; i++) {
            out.set(ValueLayout.JAVA_BYTE, block + Q6KLayout.SCALES + i, (byte) sc[i]);
        }
        for (int e = 0; e < 256; e++) {
            int u = q[e] + 32;
            int half = e / 128;
            int p = (e % 128) / 32;
            int l = e % 32;
            orByte(out, block + Q6KLayout.QL + 64 * half + 32 * (p % 2) + l, (u & 0x0F) << (p < 2 ? 0 : 4));
            orByte(out, block + Q6KLayout.QH + 32 * half + l, (u >>> 4) << (2 * p));
        }
    }

    /** d = (max - min) / levels and m = min as f16 at dAt and mAt; q[j] = round((v - m) / d). */
    private static void asymmetric32(float[] v, int at, int levels, MemorySegment out, long dAt, long mAt, int[] q) {
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < 32; j++) {
            min = Math.min(min, v[at + j]);
            max = Math.max(max, v[at + j]);
        }
        float d = half((max - min) / levels);
        float m = half(min);
        for (int j = 0; j < 32; j++) {
            q[j] = d == 0f ? 0 : clamp(Math.round((v[at + j] - m) / d), 0, levels);
        }
        out.set(I16, dAt, Float.floatToFloat16(d));
        out.set(I16, mAt, Float.floatToFloat16(m));
    }

    /**
     * Sub-blocks of {@code sub} elements with value = (d * sc) * q - (dmin * mn): each sub-block's
     * range [min(0, lo), hi] gives its scale (range / levels) and min (-min(0, lo)); those are
     * rounded up to multiples of the f16 d and dmin (largest / scaleLevels) so the range stays covered.
     */
    private static void scaledMin(float[] v, int at, int sub, int levels, int scaleLevels, MemorySegment out,
                                  long dAt, long dminAt, int[] sc, int[] mn, int[] q) {
        int subs = sc.length;
        float[] scale = new float[subs];
        float[] min = new float[subs];
        float maxScale = 0f;
        float maxMin = 0f;
        for (int i = 0; i < subs; i++) {
            float lo = 0f;
            float hi = 0f;
            for (int l = 0; l < sub; l++) {
                lo = Math.min(lo, v[at + sub * i + l]);
                hi = Math.max(hi, v[at + sub * i + l]);
            }
            scale[i] = (hi - lo) / levels;
            min[i] = -lo;
            maxScale = Math.max(maxScale, scale[i]);
            maxMin = Math.max(maxMin, min[i]);
        }
        float d = half(maxScale / scaleLevels);
        float dmin = half(maxMin / scaleLevels);
        for (int i = 0; i < subs; i++) {
            sc[i] = d == 0f ? 0 : clamp((int) Math.ceil(scale[i] / d), 0, scaleLevels);
            mn[i] = dmin == 0f ? 0 : clamp((int) Math.ceil(min[i] / dmin), 0, scaleLevels);
            float dl = d * sc[i];
            float ml = dmin * mn[i];
            for (int l = 0; l < sub; l++) {
                q[sub * i + l] = dl == 0f ? 0 : clamp(Math.round((v[at + sub * i + l] + ml) / dl), 0, levels);
            }
        }
        out.set(I16, dAt, Float.floatToFloat16(d));
        out.set(I16, dminAt, Float.floatToFloat16(dmin));
    }

    /** Sub-blocks of {@code sub} with value = (d * sc) * q: scale amax / levels rounded up to a multiple of d. */
    private static void symmetric(float[] v, int at, int sub, int levels, int scaleLevels, MemorySegment out,
                                  long dAt, int[] sc, int[] q) {
        int subs = sc.length;
        float[] scale = new float[subs];
        float maxScale = 0f;
        for (int i = 0; i < subs; i++) {
            float amax = 0f;
            for (int l = 0; l < sub; l++) {
                amax = Math.max(amax, Math.abs(v[at + sub * i + l]));
            }
            scale[i] = amax / levels;
            maxScale = Math.max(maxScale, scale[i]);
        }
        float d = half(maxScale / scaleLevels);
        for (int i = 0; i < subs; i++) {
            sc[i] = d == 0f ? 0 : clamp((int) Math.ceil(scale[i] / d), 0, scaleLevels);
            float dl = d * sc[i];
            for (int l = 0; l < sub; l++) {
                q[sub * i + l] = dl == 0f ? 0 : clamp(Math.round(v[at + sub * i + l] / dl), -levels, levels);
            }
        }
        out.set(I16, dAt, Float.floatToFloat16(d));
    }

    /** The eight scales and mins (0..63) into the 12 bytes that {@link Blocks#scaleMin6} reads. */
    private static void packScaleMin6(int[] sc, int[] mn, MemorySegment out, long at) {
        for (int j = 0; j < 4; j++) {
            out.set(ValueLayout.JAVA_BYTE, at + j, (byte) (sc[j] | ((sc[j + 4] >>> 4) << 6)));
            out.set(ValueLayout.JAVA_BYTE, at + j + 4, (byte) (mn[j] | ((mn[j + 4] >>> 4) << 6)));
            out.set(ValueLayout.JAVA_BYTE, at + j + 8, (byte) ((sc[j + 4] & 0x0F) | ((mn[j + 4] & 0x0F) << 4)));
        }
    }

    /** Low 4 bits of q[j] into the low nibble of byte j (j &lt; 16) or the high nibble of byte j - 16. */
    private static void packNibbles32(int[] q, MemorySegment out, long at) {
        for (int j = 0; j < 16; j++) {
            out.set(ValueLayout.JAVA_BYTE, at + j, (byte) ((q[j] & 0x0F) | ((q[16 + j] & 0x0F) << 4)));
        }
    }

    /** Bit 4 of each q[j] as bit j of a word. */
    private static int highBits32(int[] q) {
        int bits = 0;
        for (int j = 0; j < 32; j++) {
            bits |= ((q[j] >>> 4) & 1) << j;
        }
        return bits;
    }

    private static void orByte(MemorySegment out, long at, int bits) {
        out.set(ValueLayout.JAVA_BYTE, at, (byte) (out.get(ValueLayout.JAVA_BYTE, at) | bits));
    }

    private static float half(float f) {
        return Float.float16ToFloat(Float.floatToFloat16(f));
    }

    private static int clamp(int x, int lo, int hi) {
        return Math.max(lo, Math.min(hi, x));
    }
}
