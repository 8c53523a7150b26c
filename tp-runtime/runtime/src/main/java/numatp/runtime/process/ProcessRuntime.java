package numatp.runtime.process;

import numatp.models.LlamaConfig;
import numatp.models.ModelException;
import numatp.models.tp.TpEngine;
import numatp.runtime.engine.EngineRuntime;
import numatp.runtime.plan.PlacementPlan;
import numatp.runtime.workers.BindingReport;
import numatp.weights.ModelTensors;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * The process layout as an {@link EngineRuntime}: a {@link ProcessEngine} started for a plan,
 * with its start-up report (each worker's pid, how it was born bound, its threads' binding and
 * its shards' residency, as the worker itself measured them with getcpu and move_pages).
 */
public final class ProcessRuntime implements EngineRuntime {
    private final PlacementPlan plan;
    private final ProcessEngine engine;
    private final long startNs;

    private ProcessRuntime(PlacementPlan plan, ProcessEngine engine, long startNs) {
        this.plan = plan;
        this.engine = engine;
        this.startNs = startNs;
    }

    public static List<String> defaultEntryPoint() {
        return ProcessEngine.defaultEntryPoint();
    }

    /**
     * Starts {@code plan}'s workers on {@code modelFile} ({@code model} is that file opened here,
     * for its shape); {@code entryPoint} is the worker's main class and leading arguments.
     */
    public static ProcessRuntime start(ModelTensors model, Path modelFile, PlacementPlan plan, boolean simulated,
                                       TpEngine.Capacity capacity, List<String> entryPoint, Consumer<String> log) {
        if (modelFile == null) {
            throw new ModelException("--workers processes needs a model file (each worker maps it itself);"
                    + " a synthetic model in memory runs only with --workers threads");
        }
        long t0 = System.nanoTime();
        ProcessEngine engine = ProcessEngine.start(modelFile, LlamaConfig.of(model.hp()), plan, simulated, capacity,
                entryPoint, log);
        return new ProcessRuntime(plan, engine, System.nanoTime() - t0);
    }

    @Override
    public PlacementPlan plan() {
        return plan;
    }

    @Override
    public ProcessEngine engine() {
        return engine;
    }

    @Override
    public String loadLine(long openNs, long sinceNs) {
        return String.format(Locale.ROOT, "load: open %.2f s; %d worker processes (pids %s) loaded in %.2f s; total %.2f s",
                openNs / 1e9, engine.pids().size(), pidList(), startNs / 1e9, (System.nanoTime() - sinceNs) / 1e9);
    }

    private String pidList() {
        return String.join(", ", engine.pids().stream().map(Object::toString).toList());
    }

    @Override
    public List<String> bindingLines() {
        List<String> lines = new ArrayList<>();
        for (String line : engine.reportLines()) {
            if (!line.contains(": weights ") && !line.contains("placement: ")) {
                lines.add(line.strip());
            }
        }
        return lines;
    }

    @Override
    public String bindingSummary() {
        return "workers: " + engine.pids().size() + " processes (pids " + pidList() + "); "
                + BindingReport.summaryOfLines(engine.reportLines());
    }

    @Override
    public List<String> residencyLines() {
        List<String> lines = new ArrayList<>();
        for (String line : engine.reportLines()) {
            if (line.contains(": weights ")) {
                lines.add(line.strip());
            }
        }
        return lines;
    }

    /** Per worker, as it measured its own shards. */
    @Override
    public String placementSummary() {
        List<String> parts = new ArrayList<>();
        for (String line : engine.reportLines()) {
            if (line.strip().startsWith("placement: ")) {
                parts.add(line.strip().substring("placement: ".length()));
            }
        }
        return parts.size() == 1 ? parts.getFirst() : "workers: " + String.join(" | ", parts);
    }

    @Override
    public void close() {
        engine.close();
    }
}
