package numatp.server;

/**
 * How one request samples: run.c's sampler ({@link numatp.models.sampling.Sampler}) with
 * its own seed, so a request's output does not depend on what else is in the batch.
 *
 * @param temperature 0 = greedy
 * @param topP        nucleus threshold; 0 or 1 = off
 * @param topK        keep the k most likely tokens; 0 = off
 * @param seed        non-zero xorshift seed
 */
public record SamplingParams(float temperature, float topP, int topK, long seed) {
    public SamplingParams {
        if (!(temperature >= 0) || Float.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be >= 0: " + temperature);
        }
        if (!(topP >= 0 && topP <= 1)) {
            throw new IllegalArgumentException("topP must be in [0, 1]: " + topP);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("topK must be >= 0: " + topK);
        }
        if (seed == 0) {
            throw new IllegalArgumentException("seed must be non-zero");
        }
    }

    public static SamplingParams greedy() {
        return new SamplingParams(0f, 1f, 0, 1);
    }
}
