package numatp.bench;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Secondary JMH result: tokens handled (entries multiplied by a batched kernel, ids produced
 * by a tokenizer). In throughput mode (the suites' default) JMH prints it as the row
 * {@code Benchmark:tokens} in ops/s, here tokens/s; {@code -bm avgt} prints it inverted.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.OPERATIONS)
public class TokenCounter {
    /** Tokens handled since the iteration began. */
    public long tokens;

    @Setup(Level.Iteration)
    public void reset() {
        tokens = 0;
    }
}
