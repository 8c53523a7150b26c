package numatp.runtime.engine;

import numatp.models.tp.TpEngine;
import numatp.runtime.config.ConfigException;
import numatp.runtime.config.NumaTensorParallelConfig;
import numatp.runtime.config.WorkerLayout;
import numatp.runtime.hosts.HostRuntime;
import numatp.runtime.plan.PlacementPlan;
import numatp.runtime.process.ProcessRuntime;
import numatp.topology.Topology;
import numatp.weights.ModelTensors;

import java.nio.file.Path;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * Starts an engine in the layout {@link NumaTensorParallelConfig#workers()} asks for: thread
 * teams in this JVM ({@link TpRuntime}), or one worker process per planned node
 * ({@link ProcessRuntime}, which needs the model's file: each worker maps it itself), or one
 * process per MPI rank under {@code mpirun}, each holding an equal part of the shards ({@link HostRuntime}; on
 * ranks other than 0 it never returns).
 */
public final class EngineLayouts {
    private EngineLayouts() {
    }

    /**
     * Plans {@code model} (opened from {@code modelFile}) on {@code topology} and starts it;
     * warnings and the start-up report of worker processes go to {@code log}.
     */
    public static EngineRuntime start(ModelTensors model, Path modelFile, NumaTensorParallelConfig config,
                                      Topology topology, boolean simulated, TpEngine.Capacity capacity,
                                      Consumer<String> log) {
        if (config.workers() == WorkerLayout.MPI) {
            // Each host plans its own ranks on its own topology; returns on MPI world rank 0 only.
            return HostRuntime.start(model, config, topology, simulated, capacity, log);
        }
        PlacementPlan plan = TpRuntime.plan(model, config, topology, capacity);
        for (String warning : plan.warnings()) {
            log.accept("warning: " + warning);
        }
        return start(model, modelFile, plan, simulated, capacity, log);
    }

    /** Starts {@code model} as {@code plan} says, in its configuration's layout. */
    public static EngineRuntime start(ModelTensors model, Path modelFile, PlacementPlan plan, boolean simulated,
                                      TpEngine.Capacity capacity, Consumer<String> log) {
        if (plan.config().workers() == WorkerLayout.MPI) {
            throw new ConfigException("--workers mpi plans each host's ranks on that host at start; it cannot run"
                    + " a plan made here");
        }
        if (plan.config().workers() == WorkerLayout.PROCESSES) {
            return ProcessRuntime.start(model, modelFile, plan, simulated, capacity, ProcessRuntime.defaultEntryPoint(),
                    log);
        }
        return TpRuntime.start(model, plan, simulated, capacity, UnaryOperator.identity(), log);
    }
}
