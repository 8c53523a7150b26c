package numatp.bench;

/**
 * A matrix shape given as a JMH parameter, {@code ROWSxCOLS} (for example {@code 5632x2048}).
 *
 * @param rows output rows
 * @param cols input columns (the reduction length)
 */
record MatrixShape(int rows, int cols) {
    MatrixShape {
        if (rows <= 0 || cols <= 0) {
            throw new BenchException("shape must have positive rows and cols: " + rows + "x" + cols);
        }
    }

    /** Parses {@code value} of the parameter {@code param}. */
    static MatrixShape parse(String param, String value) {
        int x = value.indexOf('x');
        if (x <= 0 || x == value.length() - 1) {
            throw new BenchException(param + " must be ROWSxCOLS (like 5632x2048): " + value);
        }
        try {
            return new MatrixShape(Integer.parseInt(value.substring(0, x)), Integer.parseInt(value.substring(x + 1)));
        } catch (NumberFormatException e) {
            throw new BenchException(param + " must be ROWSxCOLS with decimal integers: " + value);
        }
    }
}
