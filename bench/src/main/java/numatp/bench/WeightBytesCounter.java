package numatp.bench;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Secondary JMH result of the kernel suites: bytes of weights read. In throughput mode (the
 * suites' default) JMH prints it as the row {@code Benchmark:weightBytes} in ops/s, here
 * bytes/s; divide by 1e9 for GB/s. In {@code -bm avgt} JMH prints it inverted (time per
 * byte), so read GB/s from a throughput run.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.OPERATIONS)
public class WeightBytesCounter {
    /** Bytes of weights the kernel read since the iteration began (one pass over the matrix per call). */
    public long weightBytes;

    @Setup(Level.Iteration)
    public void reset() {
        weightBytes = 0;
    }
}
