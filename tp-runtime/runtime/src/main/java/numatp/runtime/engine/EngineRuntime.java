package numatp.runtime.engine;

import numatp.models.tp.SequenceEngine;
import numatp.runtime.plan.PlacementPlan;

import java.util.List;

/**
 * A started engine and what its start-up report shows, whichever the layout: thread teams in
 * this JVM ({@link TpRuntime}) or worker processes ({@code numatp.runtime.process.ProcessRuntime}).
 * Made by {@link EngineLayouts#start}.
 */
public interface EngineRuntime extends AutoCloseable {
    PlacementPlan plan();

    SequenceEngine engine();

    /** One line on how start-up went (open, start, weights, total). */
    String loadLine(long openNs, long sinceNs);

    /** Where each shard thread (and, for processes, each worker) was bound, one line each. */
    List<String> bindingLines();

    /** One line: the binding verdicts (and the worker pids). */
    String bindingSummary();

    /** One line per shard: where its weights and KV cache are against its node. */
    List<String> residencyLines();

    /** One line: weight and KV bytes per node and the local share. */
    String placementSummary();

    @Override
    void close();
}
