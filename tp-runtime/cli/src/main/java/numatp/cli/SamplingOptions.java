package numatp.cli;

import numatp.models.ModelException;
import numatp.models.tp.TpEngine;
import picocli.CommandLine.Option;

/**
 * {@code --temperature}, {@code --top-p} and {@code --top-k} (a picocli mixin) of the commands
 * that sample tokens: {@code tp generate} and {@code tp bench generate}. The values are checked
 * once, by {@link TpEngine.Sampling}, before anything is loaded. A command presets its own
 * default temperature by initialising the mixin field ({@link #defaultTemperature}).
 */
final class SamplingOptions {
    @Option(names = "--temperature", paramLabel = "T", description = "0 = greedy (default: ${DEFAULT-VALUE}).")
    float temperature;

    @Option(names = "--top-p", paramLabel = "P",
            description = "Nucleus sampling threshold, as run.c; 0 or 1 = off (default: ${DEFAULT-VALUE}).")
    float topP = 0.9f;

    @Option(names = "--top-k", paramLabel = "K",
            description = "Keep the k most likely tokens; 0 = off (default: ${DEFAULT-VALUE}).")
    int topK;

    SamplingOptions() {
        this(1.0f);
    }

    private SamplingOptions(float defaultTemperature) {
        this.temperature = defaultTemperature;
    }

    /** The mixin with {@code temperature} as the default of {@code --temperature}. */
    static SamplingOptions defaultTemperature(float temperature) {
        return new SamplingOptions(temperature);
    }

    /** The settings with {@code seed} (non-zero); a bad flag value is a usage error naming the flag. */
    TpEngine.Sampling toSampling(long seed) {
        try {
            return new TpEngine.Sampling(temperature, topP, topK, seed);
        } catch (ModelException e) {
            throw new UsageException(e.getMessage(), e);
        }
    }
}
