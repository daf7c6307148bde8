package dev.carousel.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.carousel.config.ConfigLoader;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The schedule of a distributed run, without Spark: one row per config and start point, the jobs the plan runs in
 * order, one line each, as {@link #schedule} writes them:
 * <ul>
 *   <li>{@code score U first}: the job's tasks score θ as received (the evaluation at U) before their rounds;</li>
 *   <li>{@code rounds A-B C-D}: the rounds the job runs, by the updates they go from and to;</li>
 *   <li>{@code eval U in task | next job | with probe | alone}: the evaluation due after the job, and where it is
 *       scored (at the end of the job's task, in the next job's tasks, in the final probe's job, in a job of its
 *       own);</li>
 *   <li>{@code probe U in task}: the job's task probes the final parameters;</li>
 *   <li>{@code checkpoint R}: a checkpoint of round R follows the job.</li>
 * </ul>
 * A line {@code eval 0 alone} before the jobs is the evaluation at update 0 of a run with no updates; a line
 * {@code probe U alone} after them, the final probe in a job of its own.
 */
class RoundPlanTest {
    /** Two partitions, rounds of 2 local steps, 12 updates evaluated every 4, probes on. */
    static final String TWO = "training { updates = 12, eval-every = 4 }\n"
            + "distributed { partitions = 2, local-steps = 2 }\n";
    /** One partition (rounds back to back), rounds of 3 local steps, 12 updates evaluated every 6. */
    static final String ONE = "training { updates = 12, eval-every = 6 }\n"
            + "distributed { partitions = 1, local-steps = 3 }\n";

    /** {@link #TWO}'s schedule from a fresh start: each round a job, evaluations in the next, the last with the probe. */
    static final String[] TWO_SCHEDULE = {
        "score 0 first, rounds 0-2",
        "rounds 2-4, eval 4 next job",
        "score 4 first, rounds 4-6",
        "rounds 6-8, eval 8 next job",
        "score 8 first, rounds 8-10",
        "rounds 10-12, eval 12 with probe"};

    static Stream<Arguments> schedules() {
        return Stream.of(
                row("two partitions: each round a job; an evaluation rides in the next round, the last with the probe",
                        TWO, false, 0, TWO_SCHEDULE),
                row("checkpoint-every without a checkpoint folder writes none",
                        TWO + "distributed.checkpoint-every = 1\n", false, 0, TWO_SCHEDULE),
                row("a checkpoint after every round keeps evaluations in jobs of their own, but the last with the probe",
                        TWO + "distributed.checkpoint-every = 1\n", true, 0,
                        "score 0 first, rounds 0-2, checkpoint 1",
                        "rounds 2-4, eval 4 alone, checkpoint 2",
                        "rounds 4-6, checkpoint 3",
                        "rounds 6-8, eval 8 alone, checkpoint 4",
                        "rounds 8-10, checkpoint 5",
                        "rounds 10-12, eval 12 with probe, checkpoint 6"),
                row("a checkpoint only after an evaluation-free round leaves the evaluations riding",
                        TWO + "training.updates = 8\ndistributed.checkpoint-every = 3\n", true, 0,
                        "score 0 first, rounds 0-2",
                        "rounds 2-4, eval 4 next job",
                        "score 4 first, rounds 4-6, checkpoint 3",
                        "rounds 6-8, eval 8 with probe"),
                row("without probes the last evaluation is a job of its own and no probe follows",
                        TWO + "training.updates = 8\nprobes.enabled = false\n", false, 0,
                        "score 0 first, rounds 0-2",
                        "rounds 2-4, eval 4 next job",
                        "score 4 first, rounds 4-6",
                        "rounds 6-8, eval 8 alone"),
                row("updates not a multiple of eval-every: the last update is evaluated all the same",
                        TWO + "training.updates = 10\n", false, 0,
                        "score 0 first, rounds 0-2",
                        "rounds 2-4, eval 4 next job",
                        "score 4 first, rounds 4-6",
                        "rounds 6-8, eval 8 next job",
                        "score 8 first, rounds 8-10, eval 10 with probe"),
                row("evaluations inside a round come at its end; the last round is what is left",
                        TWO + "training.updates = 10\ndistributed.local-steps = 3\n", false, 0,
                        "score 0 first, rounds 0-3",
                        "rounds 3-6, eval 6 next job",
                        "score 6 first, rounds 6-9, eval 9 next job",
                        "score 9 first, rounds 9-10, eval 10 with probe"),
                row("eval-every beyond the updates: only the end is evaluated",
                        TWO + "training.updates = 3\ntraining.eval-every = 10\ndistributed.local-steps = 1\n", false, 0,
                        "score 0 first, rounds 0-1",
                        "rounds 1-2",
                        "rounds 2-3, eval 3 with probe"),
                row("one partition: the rounds up to an evaluation run back to back, the end's task also probes",
                        ONE, false, 0,
                        "score 0 first, rounds 0-3 3-6, eval 6 in task",
                        "rounds 6-9 9-12, eval 12 in task, probe 12 in task"),
                row("one partition, an evaluation inside a round: the job runs to the first round end past it",
                        ONE + "training.eval-every = 4\n", false, 0,
                        "score 0 first, rounds 0-3 3-6, eval 6 in task",
                        "rounds 6-9, eval 9 in task",
                        "rounds 9-12, eval 12 in task, probe 12 in task"),
                row("one partition, a last round of what is left",
                        ONE + "training.eval-every = 100\ndistributed.local-steps = 5\n", false, 0,
                        "score 0 first, rounds 0-5 5-10 10-12, eval 12 in task, probe 12 in task"),
                row("one partition, fewer updates than one round", ONE + "training.updates = 2\n", false, 0,
                        "score 0 first, rounds 0-2, eval 2 in task, probe 2 in task"),
                row("one partition, a checkpoint after every round makes every round a job",
                        ONE + "distributed.checkpoint-every = 1\n", true, 0,
                        "score 0 first, rounds 0-3, checkpoint 1",
                        "rounds 3-6, eval 6 in task, checkpoint 2",
                        "rounds 6-9, checkpoint 3",
                        "rounds 9-12, eval 12 in task, probe 12 in task, checkpoint 4"),
                row("one partition with a reset optimiser state: every round a job, as with several partitions",
                        ONE + "distributed.optimizer-state = reset\n", false, 0,
                        "score 0 first, rounds 0-3",
                        "rounds 3-6, eval 6 next job",
                        "score 6 first, rounds 6-9",
                        "rounds 9-12, eval 12 with probe"),
                row("resumed mid-way: no evaluation at the start, rounds numbered on from the checkpoint",
                        TWO + "distributed.checkpoint-every = 1\n", true, 6,
                        "rounds 6-8, eval 8 alone, checkpoint 4",
                        "rounds 8-10, checkpoint 5",
                        "rounds 10-12, eval 12 with probe, checkpoint 6"),
                row("resumed from a checkpoint an evaluation then rode past",
                        TWO + "training.eval-every = 3\ndistributed { local-steps = 1, checkpoint-every = 2 }\n", true, 6,
                        "rounds 6-7",
                        "rounds 7-8, checkpoint 8",
                        "rounds 8-9, eval 9 next job",
                        "score 9 first, rounds 9-10, checkpoint 10",
                        "rounds 10-11",
                        "rounds 11-12, eval 12 with probe, checkpoint 12"),
                row("one partition resumed mid-way", ONE + "distributed.checkpoint-every = 1\n", true, 6,
                        "rounds 6-9, checkpoint 3",
                        "rounds 9-12, eval 12 in task, probe 12 in task, checkpoint 4"),
                row("resumed before a last, partial round",
                        TWO + "training.updates = 10\ndistributed { local-steps = 4, checkpoint-every = 1 }\n", true, 8,
                        "rounds 8-10, eval 10 with probe, checkpoint 3"),
                row("resumed from the last round's checkpoint: only the final probe is left",
                        TWO + "distributed.checkpoint-every = 1\n", true, 12,
                        "probe 12 alone"),
                row("no updates: the evaluation and the probe at update 0, each a job of its own",
                        TWO + "training.updates = 0\n", false, 0,
                        "eval 0 alone",
                        "probe 0 alone"),
                row("no updates, one partition, no probes", ONE + "training.updates = 0\nprobes.enabled = false\n", false,
                        0,
                        "eval 0 alone"));
    }

    static Arguments row(String name, String config, boolean checkpoints, long from, String... jobs) {
        return Arguments.of(name, config, checkpoints, from, List.of(jobs));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("schedules")
    void scheduleOfARun(String name, String config, boolean checkpoints, long from, List<String> expected) {
        RoundPlan plan = RoundPlan.of(ConfigLoader.parse(config, name), checkpoints);
        assertEquals(String.join("\n", expected), String.join("\n", schedule(plan, from, from == 0)));
    }

    /**
     * The jobs of a run from update {@code from}, one line each (see the class comment), with the evaluation and
     * the final probe that run as jobs of their own.
     */
    static List<String> schedule(RoundPlan plan, long from, boolean fresh) {
        List<String> lines = new ArrayList<>();
        if (plan.evaluatesAlone(fresh)) {
            lines.add("eval 0 alone");
        }
        long end = from;
        boolean probed = false;
        long round = plan.roundAt(from);
        for (RoundPlan.Job job = plan.first(from, fresh); job != null; job = plan.next(job)) {
            assertEquals(end, job.firstUpdate(), "a job starts where the one before ended");
            assertEquals(round, job.firstRound(), "and at the round after its last");
            StringJoiner line = new StringJoiner(", ");
            if (job.scoreBefore()) {
                line.add("score " + job.firstUpdate() + " first");
            }
            StringBuilder rounds = new StringBuilder("rounds");
            for (int k : job.rounds()) {
                rounds.append(' ').append(end).append('-').append(end + k);
                end += k;
            }
            line.add(rounds);
            assertEquals(end, job.endUpdate());
            switch (job.evaluation()) {
                case NONE -> { }
                case IN_TASK -> line.add("eval " + end + " in task");
                case NEXT_JOB -> line.add("eval " + end + " next job");
                case WITH_FINAL_PROBE -> line.add("eval " + end + " with probe");
                case OWN_JOB -> line.add("eval " + end + " alone");
            }
            if (job.probeInTask()) {
                line.add("probe " + end + " in task");
            }
            round = job.endRound();
            if (job.checkpoint()) {
                line.add("checkpoint " + round);
            }
            probed = job.probeInTask() || job.evaluation() == RoundPlan.Scoring.WITH_FINAL_PROBE;
            lines.add(line.toString());
        }
        if (plan.probesFinal() && !probed) {
            lines.add("probe " + end + " alone");
        }
        return lines;
    }

    /** The rounds completed at an update: a checkpoint's number, from its update. */
    @Test
    void roundAtCountsAPartialLastRound() {
        RoundPlan plan = RoundPlan.of(ConfigLoader.parse(TWO + "training.updates = 10\ndistributed.local-steps = 4\n",
                "test"), true);
        assertEquals(0, plan.roundAt(0));
        assertEquals(1, plan.roundAt(4));
        assertEquals(2, plan.roundAt(8));
        assertEquals(3, plan.roundAt(10), "the last round, 8-10, is what is left");
        assertNull(plan.first(10, false), "nothing left to train at the end");
    }
}
