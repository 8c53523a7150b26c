package numatp.collectives;

import numatp.collectives.reduce.Reductions;

import java.util.TreeMap;
import java.util.ArrayList;
import java.util.List;

/**
 * The naive twins of the allreduce algorithms: scalar sums in each algorithm's documented
 * order (docs/collectives.md), accumulated in f32 and rounded once to the element type.
 * Inputs are given as f32 values already representable in the element type.
 */
final class ReferenceSums {
    private ReferenceSums() {
    }

    static float[] expected(Algorithm algorithm, float[][] inputs, int[] nodeOfRank, long slotBytes, ElementType type) {
        int p = inputs.length;
        int n = inputs[0].length;
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            float acc = switch (algorithm) {
                case RING -> ring(inputs, i, slotBytes);
                case HIERARCHICAL -> hierarchical(inputs, nodeOfRank, i);
                default -> sequential(inputs, i);
            };
            out[i] = round(type, acc);
        }
        return out;
    }

    static float sequential(float[][] inputs, int i) {
        float acc = inputs[0][i];
        for (int r = 1; r < inputs.length; r++) {
            acc += inputs[r][i];
        }
        return acc;
    }

    /** Slice j of each chunk of P * slotBytes/4 elements is summed starting at rank j. */
    static float ring(float[][] inputs, int i, long slotBytes) {
        int p = inputs.length;
        if (p == 1) {
            return inputs[0][i];
        }
        long chunk = p * (slotBytes / 4);
        long start = i / chunk * chunk;
        long n = Math.min(chunk, inputs[0].length - start);
        long pos = i - start;
        int slice = 0;
        while (!((slice * n / p) <= pos && pos < ((slice + 1) * n / p))) {
            slice++;
        }
        float acc = inputs[slice][i];
        for (int t = 1; t < p; t++) {
            acc += inputs[(slice + t) % p][i];
        }
        return acc;
    }

    /** Sum over nodes ascending of each node's sum over its ranks ascending. */
    static float hierarchical(float[][] inputs, int[] nodeOfRank, int i) {
        TreeMap<Integer, List<Integer>> byNode = new TreeMap<>();
        for (int r = 0; r < inputs.length; r++) {
            byNode.computeIfAbsent(nodeOfRank[r], k -> new ArrayList<>()).add(r);
        }
        float total = 0;
        boolean first = true;
        for (List<Integer> ranks : byNode.values()) {
            float acc = inputs[ranks.get(0)][i];
            for (int k = 1; k < ranks.size(); k++) {
                acc += inputs[ranks.get(k)][i];
            }
            total = first ? acc : total + acc;
            first = false;
        }
        return total;
    }

    static float round(ElementType type, float value) {
        return switch (type) {
            case F32 -> value;
            case BF16 -> Reductions.bf16ToFloat(Reductions.floatToBf16(value));
            case F16 -> Float.float16ToFloat(Float.floatToFloat16(value));
        };
    }
}
