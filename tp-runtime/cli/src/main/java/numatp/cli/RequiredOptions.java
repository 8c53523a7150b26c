package numatp.cli;

import picocli.CommandLine.IModelTransformer;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Makes options that a shared mixin declares optional required for one command, so picocli
 * reports them missing as it does any required option ({@code tp generate} needs
 * {@code --model}; {@code tp bench allreduce} needs {@code --shards}). Used as
 * {@code @Command(modelTransformer = RequiredOptions.Model.class)}.
 */
abstract class RequiredOptions implements IModelTransformer {
    private final String[] names;

    RequiredOptions(String... names) {
        this.names = names;
    }

    @Override
    public CommandSpec transform(CommandSpec spec) {
        for (String name : names) {
            OptionSpec option = spec.findOption(name);
            if (option == null) {
                throw new IllegalStateException(spec.qualifiedName() + " has no option " + name + " to require");
            }
            spec.remove(option);
            spec.addOption(option.toBuilder().required(true).build());
        }
        return spec;
    }

    /** {@code --model} required. */
    static final class Model extends RequiredOptions {
        Model() {
            super("--model");
        }
    }

    /** {@code --shards} required. */
    static final class Shards extends RequiredOptions {
        Shards() {
            super("--shards");
        }
    }
}
