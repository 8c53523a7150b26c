package numatp.collectives.team;

import numatp.collectives.sync.BackoffIdleStrategy;
import numatp.collectives.sync.IdleStrategy;
import numatp.topology.IdSet;
import numatp.topology.binding.BindMode;
import numatp.topology.binding.BindingException;
import numatp.topology.binding.NumaBinder;
import numatp.topology.binding.ShardBinding;
import numatp.topology.binding.WorkerOutcome;
import numatp.topology.linux.MemPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ShardGroupTest {

    @Test
    void everyShardRunsEveryStepExactlyOnceOnItsOwnThread() {
        for (IdleStrategy spin : new IdleStrategy[] {new BackoffIdleStrategy(0, 0, 1_000, 1_000),
                WorkerOptions.defaultIdle()}) {
            try (ShardGroup group = ShardGroup.start(bindings(4, 1), WorkerOptions.unbound().withIdle(spin),
                    NumaBinder.system())) {
                int steps = 500;
                AtomicIntegerArray counts = new AtomicIntegerArray(4);
                String[] names = new String[4];
                for (int i = 0; i < steps; i++) {
                    group.run((shard, team) -> {
                        counts.incrementAndGet(shard);
                        names[shard] = Thread.currentThread().getName();
                    });
                    for (int s = 0; s < 4; s++) {
                        assertEquals(i + 1, counts.get(s), "shard " + s + " after step " + i + " (spin " + spin + ")");
                    }
                }
                for (int s = 0; s < 4; s++) {
                    assertEquals("tp-shard-" + s + "-0", names[s]);
                }
            }
        }
    }

    @Test
    void parallelForCoversEveryIndexOnceForSeededCounts() {
        SplittableRandom rnd = new SplittableRandom(20261121L);
        for (int threads = 1; threads <= 4; threads++) {
            try (ShardGroup group = ShardGroup.start(bindings(2, threads), WorkerOptions.unbound(),
                    NumaBinder.system())) {
                for (int trial = 0; trial < 200; trial++) {
                    int count = trial < 10 ? trial : rnd.nextInt(1, 5000);
                    AtomicIntegerArray[] hits = {new AtomicIntegerArray(count), new AtomicIntegerArray(count)};
                    group.run((shard, team) -> team.parallelFor(count, (from, to) -> {
                        for (int i = from; i < to; i++) {
                            hits[shard].incrementAndGet(i);
                        }
                    }));
                    for (int s = 0; s < 2; s++) {
                        for (int i = 0; i < count; i++) {
                            assertEquals(1, hits[s].get(i), "threads " + threads + " count " + count + " index " + i);
                        }
                    }
                }
                assertEquals(threads, group.threads(0));
            }
        }
    }

    @Test
    void smallWorkStaysOnTheLeaderAndLargeWorkIsSplitExactlyOnce() {
        try (ShardGroup group = ShardGroup.start(bindings(1, 3), WorkerOptions.unbound(), NumaBinder.system())) {
            java.util.Set<String> small = java.util.concurrent.ConcurrentHashMap.newKeySet();
            group.run((shard, team) -> team.parallelFor(64, 64, (from, to) -> small.add(Thread.currentThread().getName())));
            assertEquals(java.util.Set.of("tp-shard-0-0"), small, "64 x 64 multiply-adds do not pay for a hand-off");
            SplittableRandom rnd = new SplittableRandom(7);
            for (int trial = 0; trial < 100; trial++) {
                int count = rnd.nextInt(1, 3000);
                long work = rnd.nextLong(1, 1 << 16);
                AtomicIntegerArray hits = new AtomicIntegerArray(count);
                java.util.Set<String> names = java.util.concurrent.ConcurrentHashMap.newKeySet();
                group.run((shard, team) -> team.parallelFor(count, work, (from, to) -> {
                    names.add(Thread.currentThread().getName());
                    for (int i = from; i < to; i++) {
                        hits.incrementAndGet(i);
                    }
                }));
                for (int i = 0; i < count; i++) {
                    assertEquals(1, hits.get(i), "count " + count + " work " + work + " index " + i);
                }
                long expectedParts = Math.min(3, Math.min(count, Math.max(1, count * work / ShardTeam.MIN_WORK_PER_THREAD)));
                assertTrue(names.size() <= expectedParts, names + " for " + expectedParts + " parts");
            }
        }
    }

    @Test
    void aFailingShardAbortsTheStepNamesItselfAndTheGroupStaysUsable() {
        try (ShardGroup group = ShardGroup.unbound(3)) {
            CountDownLatch released = new CountDownLatch(1);
            AtomicReference<String> reason = new AtomicReference<>();
            group.onAbort(r -> {
                reason.set(r);
                released.countDown();
            });
            ShardFailedException e = assertThrows(ShardFailedException.class, () -> group.run((shard, team) -> {
                if (shard == 1) {
                    throw new IllegalStateException("boom in layer 3");
                }
                // the others wait as they would in a collective, released by the abort hook
                if (!released.await(20, TimeUnit.SECONDS)) {
                    throw new AssertionError("not released");
                }
                throw new IllegalStateException("collective aborted");
            }));
            assertEquals(1, e.shard());
            assertTrue(e.getMessage().contains("shard 1") && e.getMessage().contains("boom in layer 3"), e.getMessage());
            assertTrue(reason.get().contains("shard 1"), reason.get());
            AtomicInteger ran = new AtomicInteger();
            group.run((shard, team) -> ran.incrementAndGet());
            assertEquals(3, ran.get());
        }
    }

    @Test
    void aFailureInsideAHelperThreadSurfacesFromTheLeader() {
        try (ShardGroup group = ShardGroup.start(bindings(1, 3), WorkerOptions.unbound(), NumaBinder.system())) {
            ShardFailedException e = assertThrows(ShardFailedException.class, () -> group.run((shard, team) ->
                    team.parallelFor(300, (from, to) -> {
                        if (from > 0) {
                            throw new ArithmeticException("helper part " + from);
                        }
                    })));
            assertEquals(0, e.shard());
            assertTrue(e.getMessage().contains("helper part"), e.getMessage());
        }
    }

    @Test
    void unboundAndSimulatedThreadsRecordThatBindingWasSkipped() {
        try (ShardGroup group = ShardGroup.start(
                List.of(new ShardBinding(0, 1, IdSet.of(7), 2), new ShardBinding(1, 1, IdSet.of(8), 1)),
                WorkerOptions.bound().withMode(BindMode.SIMULATED), NumaBinder.system())) {
            List<WorkerOutcome> outcomes = group.outcomes();
            assertEquals(3, outcomes.size());
            for (WorkerOutcome o : outcomes) {
                assertEquals(WorkerOutcome.Status.SKIPPED, o.status());
                assertEquals("skipped", o.verdict());
                assertTrue(o.note().startsWith("simulated topology"), o.note());
            }
            assertEquals(IdSet.of(7), outcomes.get(0).wantedCpus());
            assertEquals(IdSet.of(7), outcomes.get(1).wantedCpus(), "two threads on one CPU wrap around");
        }
    }

    @Test
    void boundThreadsRunWhereThePlanSaysOnThisMachine() {
        NumaBinder binder = NumaBinder.system();
        assumeTrue(binder.isNative(), "no native NUMA calls here");
        IdSet allowed = binder.allowedCpus();
        int node = binder.currentNode();
        assumeTrue(node >= 0, "getcpu does not report nodes here");
        int[] cpus = allowed.toArray();
        List<ShardBinding> bindings = new ArrayList<>();
        for (int s = 0; s < cpus.length; s++) {
            bindings.add(new ShardBinding(s, node, IdSet.of(cpus[s]), 1));
        }
        try (ShardGroup group = ShardGroup.start(bindings, WorkerOptions.bound(), binder)) {
            int[] seen = new int[cpus.length];
            group.run((shard, team) -> seen[shard] = binder.currentCpu());
            for (WorkerOutcome o : group.outcomes()) {
                assertEquals(WorkerOutcome.Status.BOUND, o.status(), o.toString());
                assertEquals(IdSet.of(cpus[o.shard()]), o.affinity());
                assertEquals(cpus[o.shard()], o.seenCpu());
                assertTrue(o.memoryPolicy() == MemPolicy.PREFERRED || !o.note().isEmpty(), o.toString());
            }
            for (int s = 0; s < cpus.length; s++) {
                assertEquals(cpus[s], seen[s], "shard " + s + " ran on its CPU during a step");
            }
        }
        assertEquals(allowed, binder.currentThreadAffinity(), "the caller's own affinity is untouched");
    }

    @Test
    void aCpuOutsideTheAllowedSetFailsStartNamingTheShard() {
        NumaBinder binder = NumaBinder.system();
        assumeTrue(binder.isNative(), "no native NUMA calls here");
        int outside = binder.allowedCpus().last() + 1000;
        BindingException e = assertThrows(BindingException.class, () -> ShardGroup.start(
                List.of(ShardBinding.unbound(0), new ShardBinding(1, 0, IdSet.of(outside), 1)),
                WorkerOptions.bound(), binder));
        assertTrue(e.getMessage().contains("shard 1") && e.getMessage().contains(Integer.toString(outside)),
                e.getMessage());
    }

    @Test
    void closeStopsEveryThreadAndRunAfterCloseIsRefused() {
        ShardGroup group = ShardGroup.start(bindings(2, 2), WorkerOptions.unbound(), NumaBinder.system());
        List<Thread> threads = new ArrayList<>();
        group.run((shard, team) -> team.parallelFor(2, (from, to) -> {
            synchronized (threads) {
                threads.add(Thread.currentThread());
            }
        }));
        assertEquals(4, threads.size());
        group.close();
        for (Thread t : threads) {
            assertFalse(t.isAlive(), t.getName() + " still alive after close");
        }
        assertThrows(IllegalStateException.class, () -> group.run((shard, team) -> { }));
    }

    private static List<ShardBinding> bindings(int shards, int threads) {
        List<ShardBinding> list = new ArrayList<>();
        for (int s = 0; s < shards; s++) {
            list.add(new ShardBinding(s, 0, IdSet.empty(), threads));
        }
        return list;
    }
}
