package dev.carousel.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carousel.config.ConfigLoader;
import dev.carousel.train.RunSetup;
import dev.carousel.train.RunStatus;
import dev.carousel.train.TrainResult;
import dev.carousel.train.TrainingListener;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.spark.ExecutorLostFailure;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorAdded;
import org.apache.spark.scheduler.SparkListenerExecutorRemoved;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;

/**
 * Executor loss on {@code local-cluster[2,1,1024]} (two executor JVMs, see {@link LocalClusterTest}, which runs
 * this on its cluster): in the middle of the first training round, the executor JVM running partition 1's
 * task is killed (SIGKILL, by process id). Spark fails the task with ExecutorLostFailure and runs it again
 * (spark.task.maxFailures) on the surviving executor, and the standalone master launches a replacement
 * executor. The retried task recomputes the partition from the round's broadcast and its shard — a pure
 * function of them — and the round tree combines partitions in index order whatever arrives when, so the
 * run must end bit-identical to an undisturbed one.
 */
final class ExecutorLoss {
    static final int LOCAL_STEPS = 2;
    static final String CONFIG = LocalClusterTest.CONFIG + "task.validation-sequences = 40\n"
            + "training { updates = 4, eval-every = 2 }\nprobes.every = 2\n"
            + "distributed { partitions = 2, local-steps = " + LOCAL_STEPS + " }\n";
    /**
     * The partition whose task sleeps at the start of every round ({@link SlowShard}), leaving time to kill its
     * executor.
     */
    static final int VICTIM = 1;
    static final long DELAY_MILLIS = 2_500;

    private ExecutorLoss() {}

    static void killMidRoundAndCompare(JavaSparkContext sc) throws Exception {
        RunSetup setup = RunSetup.of(ConfigLoader.parse(CONFIG, "ExecutorLoss"));
        long start = System.nanoTime();
        TrainResult undisturbed = new DistributedTrainer(sc, setup, DistributedTrainer.Options.NONE).run(TrainingListener.NONE);
        double reference = (System.nanoTime() - start) / 1e9;

        Events events = new Events();
        sc.sc().addSparkListener(events);
        TrainResult disturbed;
        Killed killed;
        double trained;
        try {
            Killer killer = new Killer(events, sc.sc().applicationId(), start);
            killer.start();
            DistributedTrainer trainer = new DistributedTrainer(sc, setup, DistributedTrainer.Options.NONE);
            disturbed = trainer.run(SlowShard.straggling(sc, trainer, VICTIM, LOCAL_STEPS, DELAY_MILLIS),
                    TrainingListener.NONE);
            trained = (System.nanoTime() - start) / 1e9;
            killer.join(10_000);
            killed = killer.killed;
            assertNotNull(killed, "no executor was killed: " + killer.failure);
            // The standalone master replaces a lost executor: two are registered again.
            LocalSparkHome.awaitExecutors(sc.sc(), 2, 60_000);
        } finally {
            sc.sc().removeSparkListener(events);
        }
        double replaced = (System.nanoTime() - start) / 1e9;

        List<SparkListenerTaskEnd> lost = events.ends.stream()
                .filter(e -> e.reason() instanceof ExecutorLostFailure).toList();
        List<String> attempts = events.attemptsOf(killed.stageId(), VICTIM);
        System.out.printf("killed executor %s (pid %d) during task %d of stage '%s'; %d task(s) lost and retried "
                        + "(attempts of partition %d ran on executors %s); executors added %s, removed %s; "
                        + "undisturbed run %.1f s, killed at %.1f s, disturbed run done at %.1f s, replacement "
                        + "registered by %.1f s%n",
                killed.executorId(), killed.pid(), killed.taskId(), killed.stageName(), lost.size(), VICTIM, attempts,
                events.added, events.removed, reference, killed.at(), trained, replaced);
        assertFalse(lost.isEmpty(), "no task failed with ExecutorLostFailure");
        assertTrue(lost.stream().allMatch(e -> ((ExecutorLostFailure) e.reason()).execId().equals(killed.executorId())));
        assertTrue(attempts.size() >= 2 && !attempts.get(attempts.size() - 1).equals(killed.executorId()),
                "partition " + VICTIM + " was retried on another executor: " + attempts);
        assertTrue(events.removed.contains(killed.executorId()));
        assertEquals(2, sc.sc().statusTracker().getExecutorInfos().length - 1);
        // The listener joined after the first two registered: what it saw added is the replacement.
        assertEquals(1, events.added.size(), "one replacement executor: " + events.added);
        assertFalse(events.added.contains(killed.executorId()));
        assertFalse(ProcessHandle.of(killed.pid()).map(ProcessHandle::isAlive).orElse(false));

        assertEquals(RunStatus.COMPLETED, disturbed.status());
        DistributedTrainerTest.assertBitIdentical(undisturbed, disturbed);
    }

    /** The executor that was killed, and the task it was running. */
    record Killed(String executorId, long pid, long taskId, int stageId, String stageName, double at) {}

    /** Scheduler events, as the driver's listener bus delivers them. */
    static final class Events extends SparkListener {
        final Map<Integer, String> stageNames = new ConcurrentHashMap<>();
        /** Task starts not yet ended, by task id. */
        final Map<Long, SparkListenerTaskStart> running = new ConcurrentHashMap<>();
        final List<SparkListenerTaskStart> starts = new CopyOnWriteArrayList<>();
        final List<SparkListenerTaskEnd> ends = new CopyOnWriteArrayList<>();
        final Set<String> added = ConcurrentHashMap.newKeySet();
        final Set<String> removed = ConcurrentHashMap.newKeySet();

        @Override
        public void onStageSubmitted(SparkListenerStageSubmitted e) {
            stageNames.put(e.stageInfo().stageId(), e.stageInfo().name());
        }

        @Override
        public void onTaskStart(SparkListenerTaskStart e) {
            starts.add(e);
            running.put(e.taskInfo().taskId(), e);
        }

        @Override
        public void onTaskEnd(SparkListenerTaskEnd e) {
            ends.add(e);
            running.remove(e.taskInfo().taskId());
        }

        @Override
        public void onExecutorAdded(SparkListenerExecutorAdded e) {
            added.add(e.executorId());
        }

        @Override
        public void onExecutorRemoved(SparkListenerExecutorRemoved e) {
            removed.add(e.executorId());
        }

        /** Executors that ran the attempts of task {@code index} in stage {@code stageId}, in order. */
        List<String> attemptsOf(int stageId, int index) {
            return starts.stream().filter(s -> s.stageId() == stageId && s.taskInfo().index() == index)
                    .map(s -> s.taskInfo().executorId()).toList();
        }
    }

    /**
     * Waits for the victim partition's task of the first training round (a stage named "round at update 0";
     * validation runs as "validation at update 0") to be running for a while — it sleeps {@link #DELAY_MILLIS} before working — then
     * kills the executor JVM running it: a child of this JVM, whose command line names the executor id and app.
     */
    static final class Killer extends Thread {
        private final Events events;
        private final String appId;
        volatile Killed killed;
        volatile String failure = "timed out";

        private final long start;

        Killer(Events events, String appId, long start) {
            super("executor-killer");
            setDaemon(true);
            this.events = events;
            this.appId = appId;
            this.start = start;
        }

        @Override
        public void run() {
            long deadline = System.currentTimeMillis() + 120_000;
            try {
                while (System.currentTimeMillis() < deadline) {
                    for (SparkListenerTaskStart s : events.running.values()) {
                        String stage = events.stageNames.getOrDefault(s.stageId(), "");
                        if (stage.startsWith("round at update") && s.taskInfo().index() == VICTIM
                                && System.currentTimeMillis() - s.taskInfo().launchTime() > 500) {
                            String exec = s.taskInfo().executorId();
                            ProcessHandle jvm = executorJvm(exec).orElseThrow(
                                    () -> new IllegalStateException("no executor JVM with --executor-id " + exec));
                            assertTrue(jvm.destroyForcibly(), "could not signal " + jvm.pid());
                            jvm.onExit().get();
                            killed = new Killed(exec, jvm.pid(), s.taskInfo().taskId(), s.stageId(), stage,
                                    (System.nanoTime() - start) / 1e9);
                            return;
                        }
                    }
                    Thread.sleep(50);
                }
            } catch (Exception | AssertionError e) {
                failure = e.toString();
            }
        }

        private Optional<ProcessHandle> executorJvm(String executorId) {
            return ProcessHandle.current().descendants().filter(p -> {
                List<String> args = List.of(p.info().arguments().orElse(new String[0]));
                int id = args.indexOf("--executor-id");
                int app = args.indexOf("--app-id");
                return args.contains("org.apache.spark.executor.CoarseGrainedExecutorBackend")
                        && id >= 0 && id + 1 < args.size() && args.get(id + 1).equals(executorId)
                        && app >= 0 && app + 1 < args.size() && args.get(app + 1).equals(appId);
            }).findFirst();
        }
    }
}
