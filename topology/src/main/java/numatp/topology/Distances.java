package numatp.topology;

import java.util.Arrays;

/**
 * The SLIT node distance matrix: {@code distance(from, to)} is the relative cost for a
 * CPU of node {@code from} to reach memory of node {@code to} (10 = local). Rows and
 * columns follow {@link #nodeIds()}, which is ascending. Immutable.
 */
public final class Distances {
    public static final int LOCAL = 10;
    public static final int REMOTE = 20;

    private final int[] nodeIds;
    private final int[][] matrix;

    public Distances(int[] nodeIds, int[][] matrix) {
        if (nodeIds == null || matrix == null || matrix.length != nodeIds.length) {
            throw new TopologyException("distance matrix must have one row per node: nodes="
                    + Arrays.toString(nodeIds) + ", rows=" + (matrix == null ? "null" : matrix.length));
        }
        this.nodeIds = nodeIds.clone();
        this.matrix = new int[matrix.length][];
        for (int i = 0; i < matrix.length; i++) {
            if (i > 0 && nodeIds[i] <= nodeIds[i - 1]) {
                throw new TopologyException("distance node ids must be ascending: " + Arrays.toString(nodeIds));
            }
            if (matrix[i] == null || matrix[i].length != nodeIds.length) {
                throw new TopologyException("distance row of node " + nodeIds[i] + " must have "
                        + nodeIds.length + " entries: " + Arrays.toString(matrix[i]));
            }
            for (int d : matrix[i]) {
                if (d <= 0) {
                    throw new TopologyException("distance row of node " + nodeIds[i] + " must be positive: "
                            + Arrays.toString(matrix[i]));
                }
            }
            this.matrix[i] = matrix[i].clone();
        }
    }

    /** The 10 local / 20 remote matrix used when the firmware gives none. */
    public static Distances uniform(int[] nodeIds) {
        int[][] m = new int[nodeIds.length][nodeIds.length];
        for (int i = 0; i < m.length; i++) {
            for (int j = 0; j < m.length; j++) {
                m[i][j] = i == j ? LOCAL : REMOTE;
            }
        }
        return new Distances(nodeIds, m);
    }

    public int[] nodeIds() {
        return nodeIds.clone();
    }

    public int size() {
        return nodeIds.length;
    }

    /** Row {@code i}, column {@code j} by position in {@link #nodeIds()}. */
    public int at(int i, int j) {
        return matrix[i][j];
    }

    public int[][] matrix() {
        int[][] copy = new int[matrix.length][];
        for (int i = 0; i < matrix.length; i++) {
            copy[i] = matrix[i].clone();
        }
        return copy;
    }

    /** Distance between two node ids. */
    public int distance(int fromNode, int toNode) {
        return matrix[position(fromNode)][position(toNode)];
    }

    /** The sub-matrix of the given nodes (those present here). */
    public Distances restrictTo(IdSet nodes) {
        int count = 0;
        for (int id : nodeIds) {
            if (nodes.contains(id)) {
                count++;
            }
        }
        int[] ids = new int[count];
        int[] pos = new int[count];
        for (int i = 0, k = 0; i < nodeIds.length; i++) {
            if (nodes.contains(nodeIds[i])) {
                ids[k] = nodeIds[i];
                pos[k++] = i;
            }
        }
        int[][] m = new int[count][count];
        for (int i = 0; i < count; i++) {
            for (int j = 0; j < count; j++) {
                m[i][j] = matrix[pos[i]][pos[j]];
            }
        }
        return new Distances(ids, m);
    }

    private int position(int node) {
        int p = Arrays.binarySearch(nodeIds, node);
        if (p < 0) {
            throw new TopologyException("node " + node + " is not in the distance matrix " + Arrays.toString(nodeIds));
        }
        return p;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Distances other && Arrays.equals(nodeIds, other.nodeIds)
                && Arrays.deepEquals(matrix, other.matrix);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(nodeIds) + Arrays.deepHashCode(matrix);
    }

    @Override
    public String toString() {
        return "Distances" + Arrays.toString(nodeIds) + Arrays.deepToString(matrix);
    }
}
