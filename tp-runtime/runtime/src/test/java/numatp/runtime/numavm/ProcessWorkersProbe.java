package numatp.runtime.numavm;

import numatp.collectives.shm.ProcessTransport;
import numatp.models.ModelFiles;
import numatp.models.tp.SequenceGeneration;
import numatp.models.tp.TpEngine;
import numatp.runtime.config.NumaTensorParallelConfig;
import numatp.runtime.config.WorkerLayout;
import numatp.runtime.engine.TpRuntime;
import numatp.runtime.plan.PlacementPlan;
import numatp.runtime.plan.ShardPlacement;
import numatp.runtime.process.ProcessRuntime;
import numatp.runtime.process.WorkerMain;
import numatp.topology.IdSet;
import numatp.topology.TopologyDetector;
import numatp.weights.ModelTensors;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs inside a numa-vm guest: starts {@code MODEL} as 2 shards over nodes 0 and 1 in the process
 * layout (one worker process per node), greedy-decodes 8 tokens through it, and prints the plan,
 * the workers' start-up report (as the workers measured themselves: getcpu, move_pages) and the
 * tokens as {@code PROBE} lines.
 */
public final class ProcessWorkersProbe {
    private ProcessWorkersProbe() {
    }

    public static void main(String[] args) throws IOException {
        // The guest's /dev is a fresh devtmpfs without shm/ (numa-vm.sh's tmpfs mount there fails):
        // the step file and the collective group's file are created in the directory, in memory all the same.
        Files.createDirectories(ProcessTransport.DEFAULT_DIR);
        Path file = Path.of(args[0]);
        NumaTensorParallelConfig config = NumaTensorParallelConfig.builder().shards(2).numaNodes(IdSet.parseList("0,1",
                "probe nodes")).interNodePenalty(0).workers(WorkerLayout.PROCESSES).build();
        TpEngine.Capacity capacity = TpEngine.Capacity.singleSequence(32);
        try (ModelTensors model = ModelFiles.open(file)) {
            PlacementPlan plan = TpRuntime.plan(model, config, TopologyDetector.detect(), capacity);
            for (ShardPlacement s : plan.shards()) {
                System.out.println("PROBE shard" + s.shard() + ".planned=" + s.node() + ":" + s.cpus().toListString());
            }
            try (ProcessRuntime runtime = ProcessRuntime.start(model, file, plan, false, capacity,
                    List.of(WorkerMain.class.getName()), line -> { })) {
                int i = 0;
                for (String line : runtime.engine().reportLines()) {
                    System.out.println("PROBE report" + i++ + "=" + line.strip());
                }
                System.out.println("PROBE pids=" + runtime.engine().pids());
                List<Integer> ids = new ArrayList<>();
                SequenceGeneration.generate(runtime.engine(), new int[] {1}, 8, TpEngine.Sampling.greedy(),
                        (prev, next) -> ids.add(next), id -> false);
                System.out.println("PROBE tokens=" + ids);
            }
        }
        System.out.println("PROBE done=true");
    }
}
