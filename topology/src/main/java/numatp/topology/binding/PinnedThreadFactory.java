package numatp.topology.binding;

import numatp.topology.IdSet;
import numatp.topology.binding.NumaBinder;
import numatp.topology.binding.ThreadPlacement;
import numatp.topology.linux.MemPolicy;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Starts the threads of one shard's team. Each thread, before it runs its task, pins itself
 * to its CPU from the {@link ShardBinding}, sets its memory policy for the shard's node,
 * asks the kernel ({@code sched_getaffinity}, {@code getcpu}) where it actually is and hands
 * the resulting {@link WorkerOutcome} to the {@link Listener}. When pinning fails the thread
 * reports the error and does not run its task.
 */
public final class PinnedThreadFactory implements ThreadFactory {
    /** Receives each thread's binding result, on that thread, before its task starts. */
    public interface Listener {
        void bound(WorkerOutcome outcome);

        void failed(int shard, int thread, RuntimeException error);
    }

    private final ShardBinding binding;
    private final BindingOptions options;
    private final NumaBinder binder;
    private final Listener listener;
    private final AtomicInteger nextThread = new AtomicInteger();

    public PinnedThreadFactory(ShardBinding binding, BindingOptions options, NumaBinder binder, Listener listener) {
        this.binding = binding;
        this.options = options;
        this.binder = binder;
        this.listener = listener;
    }

    @Override
    public Thread newThread(Runnable task) {
        int index = nextThread.getAndIncrement();
        return Thread.ofPlatform()
                .name(options.namePrefix() + "-" + binding.shard() + "-" + index)
                .daemon(true)
                .unstarted(() -> {
                    WorkerOutcome outcome;
                    try {
                        outcome = bind(index);
                    } catch (RuntimeException e) {
                        listener.failed(binding.shard(), index, e);
                        return;
                    }
                    listener.bound(outcome);
                    task.run();
                });
    }

    private WorkerOutcome bind(int thread) {
        int shard = binding.shard();
        int node = binding.node();
        IdSet wanted = binding.cpusOfThread(thread);
        int cpu = wanted.isEmpty() ? -1 : wanted.first();
        switch (options.mode()) {
            case SIMULATED -> {
                return skipped(thread, wanted, "simulated topology: planned for CPU " + describe(wanted) + " on node "
                        + node + ", running unpinned");
            }
            case NONE -> {
                return skipped(thread, wanted, "binding switched off (--pinning none): the kernel schedules this thread");
            }
            case BIND -> {
                if (!binder.isNative()) {
                    return skipped(thread, wanted, "no native NUMA calls (" + binder.description() + ")");
                }
            }
        }
        if (!wanted.isEmpty()) {
            binder.pinCurrentThreadToCpus(wanted);
        }
        MemPolicy policy = MemPolicy.DEFAULT;
        String note = "";
        if (options.memoryPolicy() != MemPolicy.DEFAULT) {
            ThreadPlacement placement = binder.bindCurrentThreadMemory(node, options.memoryPolicy());
            policy = placement.memoryPolicy();
            note = placement.note();
        }
        IdSet affinity = binder.currentThreadAffinity();
        int seenCpu = binder.currentCpu();
        int seenNode = binder.currentNode();
        StringBuilder problems = new StringBuilder(note);
        if (cpu >= 0 && !affinity.equals(wanted)) {
            append(problems, "affinity is " + affinity + ", wanted " + wanted);
        }
        if (!wanted.isEmpty() && seenCpu >= 0 && !wanted.contains(seenCpu)) {
            append(problems, "getcpu says CPU " + seenCpu + ", wanted " + wanted);
        }
        if (cpu >= 0 && seenNode >= 0 && seenNode != node) {
            append(problems, "getcpu says node " + seenNode + ", wanted " + node);
        }
        WorkerOutcome.Status status = problems.isEmpty() ? WorkerOutcome.Status.BOUND : WorkerOutcome.Status.MISMATCH;
        return new WorkerOutcome(shard, thread, node, wanted, affinity, seenCpu, seenNode, policy, status,
                problems.toString());
    }

    private WorkerOutcome skipped(int thread, IdSet wanted, String why) {
        return new WorkerOutcome(binding.shard(), thread, binding.node(), wanted, IdSet.empty(), -1, -1,
                MemPolicy.DEFAULT, WorkerOutcome.Status.SKIPPED, why);
    }

    private static String describe(IdSet cpus) {
        return cpus.isEmpty() ? "(none)" : cpus.toListString();
    }

    private static void append(StringBuilder sb, String text) {
        if (!sb.isEmpty()) {
            sb.append("; ");
        }
        sb.append(text);
    }
}
