package dev.carousel.spark;

import dev.carousel.config.CarouselConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * The schedule of a distributed run ({@link DistributedTrainer}), from its config and the update it starts at: the
 * rounds each Spark job runs and, around them, when θ is evaluated and which job scores it, when a round checkpoint is
 * written and where the final parameters are probed. Pure: no Spark, no data. What depends on the data — a listener
 * stopping the run at an evaluation, a round diverging — ends the run wherever it happens; the trainer sees that in
 * the results and leaves the plan there.
 *
 * <p>A run of {@code U} updates in rounds of {@code K} local steps:
 * <ul>
 *   <li>Round r (counting from 1) ends at update min(r·K, U): the last round is what is left.</li>
 *   <li>An evaluation is due after a job that crosses a multiple of {@code eval-every}, or ends at U; on a fresh start
 *       also at update 0, scored in the first job's tasks (in a job of its own when U = 0). A resumed run does not
 *       evaluate at its start: the checkpoint holds the curve up to it.</li>
 *   <li>A checkpoint follows round r when checkpoints are written and {@code checkpoint-every} divides r.</li>
 *   <li>With rounds back to back ({@link #roundsBackToBack}: one partition, state averaged) a job runs the rounds up
 *       to the first after which an evaluation or a checkpoint is due, or the end; else every round is a job.</li>
 *   <li>Probes within a round are the local steps' own ({@code probes.every}, in {@code LocalSteps}); the plan places
 *       the probe of the final parameters, which follows the last update reached unless the run diverged.</li>
 * </ul>
 */
public final class RoundPlan {
    private final long updates;
    private final int localSteps;
    private final int evalEvery;
    private final int checkpointEvery;
    private final boolean backToBack;
    private final boolean probes;

    /**
     * Where an evaluation due after a job is scored.
     */
    public enum Scoring {
        /** No evaluation is due after the job. */
        NONE,
        /** Rounds back to back: at the end of the job's own task, on the θ it reached. */
        IN_TASK,
        /** At the start of the next job's tasks, on the θ they receive, before their local steps. */
        NEXT_JOB,
        /** The last evaluation, in the job that also probes the final parameters. */
        WITH_FINAL_PROBE,
        /** A validation job of its own: a checkpoint follows (it holds the curve up to here), or no probe to share. */
        OWN_JOB
    }

    /**
     * One Spark job of the plan.
     *
     * @param firstUpdate update at which the job's first round starts
     * @param firstRound  rounds completed before the job
     * @param rounds      local steps of each round the job runs, in order (K, or what is left at the end)
     * @param scoreBefore the job's tasks first score θ as received: the evaluation due before the job
     * @param evaluation  where the evaluation due after the job is scored
     * @param probeInTask rounds back to back and the job ends the run: its task probes the final parameters
     * @param checkpoint  a checkpoint follows the job's last round
     */
    public record Job(long firstUpdate, long firstRound, List<Integer> rounds, boolean scoreBefore, Scoring evaluation,
                      boolean probeInTask, boolean checkpoint) {
        public Job {
            rounds = List.copyOf(rounds);
        }

        /** The local steps of all the job's rounds. */
        public int steps() {
            return rounds.stream().mapToInt(Integer::intValue).sum();
        }

        /** The update the job ends at. */
        public long endUpdate() {
            return firstUpdate + steps();
        }

        /** The rounds completed after the job: the number of the checkpoint that may follow it. */
        public long endRound() {
            return firstRound + rounds.size();
        }
    }

    /**
     * The plan of {@code config}'s run.
     *
     * @param checkpoints whether round checkpoints are written at all (a checkpoint folder is given)
     */
    public static RoundPlan of(CarouselConfig config, boolean checkpoints) {
        CarouselConfig.Distributed dc = config.distributed();
        return new RoundPlan(config.training().updates(), dc.localSteps(), config.training().evalEvery(),
                checkpoints ? dc.checkpointEvery() : 0, roundsBackToBack(dc), config.probes().enabled());
    }

    private RoundPlan(long updates, int localSteps, int evalEvery, int checkpointEvery, boolean backToBack,
                      boolean probes) {
        this.updates = updates;
        this.localSteps = localSteps;
        this.evalEvery = evalEvery;
        this.checkpointEvery = checkpointEvery;
        this.backToBack = backToBack;
        this.probes = probes;
    }

    /**
     * Whether rounds run back to back in one task: one partition, where averaging is the identity (weight exactly
     * 1; θ and the state pass through double unchanged), so the rounds up to the next one after which the driver has
     * work to do run as one job, with the same steps, results and bits as one job per round. With
     * {@code optimizer-state = reset} the driver changes the state between rounds, and with several partitions it
     * averages them, so there every round is its own job.
     */
    public static boolean roundsBackToBack(CarouselConfig.Distributed dc) {
        return dc.partitions() == 1 && dc.optimizerState() != CarouselConfig.OptimizerStateMode.RESET;
    }

    /** Whether this run's rounds run back to back ({@link #roundsBackToBack}). */
    public boolean backToBack() {
        return backToBack;
    }

    /** Whether the final parameters are probed (probes are enabled; a diverged run takes no final probe). */
    public boolean probesFinal() {
        return probes;
    }

    /** The rounds completed at {@code update}, where a run stopped or a checkpoint was written. */
    public long roundAt(long update) {
        return (update + localSteps - 1) / localSteps;
    }

    /** Whether the evaluation at update 0 is a job of its own: a fresh start with no updates, so no job to ride in. */
    public boolean evaluatesAlone(boolean fresh) {
        return fresh && updates == 0;
    }

    /**
     * The first job of a run starting at {@code update} (0, or a checkpoint's update when resumed), or null if no
     * update is left. On a fresh start its tasks score θ before their rounds: the evaluation at update 0.
     */
    public Job first(long update, boolean fresh) {
        return update < updates ? job(update, roundAt(update), fresh) : null;
    }

    /** The job after {@code previous}, or null if {@code previous} ends the run. */
    public Job next(Job previous) {
        long update = previous.endUpdate();
        return update < updates ? job(update, previous.endRound(), previous.evaluation() == Scoring.NEXT_JOB) : null;
    }

    private Job job(long update, long round, boolean scoreBefore) {
        List<Integer> rounds = new ArrayList<>();
        long u = update;
        long r = round;
        do {
            int k = (int) Math.min(localSteps, updates - u);
            rounds.add(k);
            long before = u;
            u += k;
            r++;
            if (evaluationDue(before, u) || checkpointDue(r) || !backToBack) {
                break;
            }
        } while (u < updates);
        boolean checkpoint = checkpointDue(r);
        return new Job(update, round, rounds, scoreBefore, scoring(update, u, checkpoint),
                backToBack && u == updates && probes, checkpoint);
    }

    /** Where the evaluation due after a job from update {@code from} to {@code to} is scored. */
    private Scoring scoring(long from, long to, boolean checkpoint) {
        if (!evaluationDue(from, to)) {
            return Scoring.NONE;
        }
        if (backToBack) {
            return Scoring.IN_TASK;
        }
        if (to < updates && !checkpoint) {
            return Scoring.NEXT_JOB;
        }
        return to == updates && probes ? Scoring.WITH_FINAL_PROBE : Scoring.OWN_JOB;
    }

    /** Whether training from update {@code from} to {@code to} crossed a multiple of eval-every, or ended. */
    private boolean evaluationDue(long from, long to) {
        return to / evalEvery > from / evalEvery || to == updates;
    }

    /** Whether a checkpoint is written after round {@code round} (counting from 1). */
    private boolean checkpointDue(long round) {
        return checkpointEvery > 0 && round % checkpointEvery == 0;
    }
}
