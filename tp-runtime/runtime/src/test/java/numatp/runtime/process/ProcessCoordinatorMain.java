package numatp.runtime.process;

import numatp.models.ModelFiles;
import numatp.models.tp.TpEngine;
import numatp.runtime.config.NumaTensorParallelConfig;
import numatp.runtime.config.WorkerLayout;
import numatp.runtime.engine.TpRuntime;
import numatp.runtime.plan.PlacementPlan;
import numatp.topology.TopologyDetector;
import numatp.weights.ModelTensors;

import java.nio.file.Path;
import java.util.List;

/**
 * A coordinator for {@link ProcessLifecycleTest}: starts two worker processes on the model file
 * given, prints {@code pids P1 P2} and {@code name NAME}, then runs until killed.
 */
public final class ProcessCoordinatorMain {
    private ProcessCoordinatorMain() {
    }

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        NumaTensorParallelConfig config = NumaTensorParallelConfig.builder().shards(2).workers(WorkerLayout.PROCESSES)
                .workersPerNode(2).build();
        TpEngine.Capacity capacity = TpEngine.Capacity.singleSequence(64);
        ModelTensors model = ModelFiles.open(file);
        PlacementPlan plan = TpRuntime.plan(model, config, TopologyDetector.detect(), capacity);
        ProcessRuntime runtime = ProcessRuntime.start(model, file, plan, false, capacity,
                List.of(WorkerMain.class.getName()), line -> { });
        ProcessEngine engine = runtime.engine();
        System.out.println("pids " + engine.pids().get(0) + " " + engine.pids().get(1));
        System.out.println("name " + engine.name());
        System.out.flush();
        Thread.sleep(600_000);
    }
}
