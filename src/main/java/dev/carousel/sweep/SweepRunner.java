package dev.carousel.sweep;

import static dev.carousel.sweep.SweepProgress.seconds;

import dev.carousel.config.CarouselConfig;
import dev.carousel.config.ConfigLoader;
import dev.carousel.data.LossKind;
import dev.carousel.report.SweepReport;
import dev.carousel.spark.Jobs;
import dev.carousel.stats.StepStats;
import dev.carousel.stats.Summaries;
import dev.carousel.store.ParquetFiles;
import dev.carousel.store.ResultTables;
import dev.carousel.store.Table;
import dev.carousel.train.CurvePoint;
import dev.carousel.train.RunSetup;
import java.io.PrintStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Runs a {@link SweepSpec} on Spark into a {@link SweepStore}: the cells not yet committed (and, with
 * {@code rerunFailed}, the failed ones), several at a time, committed in groups within seconds of their end; then
 * the report.
 *
 * <p>Resume: cells are keyed by their config hash, so re-running the same command skips every committed cell, and
 * a spec with more axis values runs only the new cells. A cell that diverges is a result (status {@code diverged},
 * with the update), not a failure; a cell whose training throws is committed as {@code failed} with the error, and
 * the sweep goes on.
 */
public final class SweepRunner {
    /**
     * @param out         the sweep's output folder, on any Hadoop file system
     * @param hadoopConf  the Hadoop configuration its file system is opened with
     * @param strategy    how to lay cells out on Spark
     * @param rerunFailed also run the committed cells whose status is {@code failed}
     * @param provenance  what produced the results (version, commit, libraries), written into {@code sweep.json}
     * @param specText    the spec file's text, kept in {@code sweep.json}
     * @param log         where progress goes; null for none
     * @param commitSeconds how long a finished cell may wait before its group of cells is committed
     */
    public record Options(Path out, Configuration hadoopConf, Strategy strategy, boolean rerunFailed, Map<String, Object> provenance,
                          String specText, PrintStream log, double commitSeconds) {}

    /**
     * What a run did.
     *
     * @param cells    cells in the spec
     * @param skipped  cells already committed and not run again
     * @param ran      cells run now
     * @param statuses status to count, over every cell of the spec
     * @param report   the report's index.html, or null if none was written
     */
    public record Summary(int cells, int skipped, int ran, Map<String, Integer> statuses, Path report,
                          double wallSeconds) {
        public int failed() {
            return statuses.getOrDefault(CellOutcome.FAILED, 0);
        }
    }

    private final JavaSparkContext sc;
    private final SweepSpec spec;
    private final Options options;
    /** Every Spark job of this run, so a fatal error can cancel them all and nothing else. */
    private final String jobGroup = "carousel-sweep-" + java.util.UUID.randomUUID();

    public SweepRunner(SparkSession spark, SweepSpec spec, Options options) {
        this.sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        this.spec = spec;
        this.options = options;
    }

    /**
     * Checks everything that can be wrong with the spec, the strategy and the output folder, and that the result
     * tables' codec loads, without writing anything in the output folder; {@link #run()} calls it first.
     *
     * @throws IllegalArgumentException or {@link dev.carousel.config.ConfigError}, one line
     */
    public SweepPlan check() {
        SweepStore.check(options.out(), options.hadoopConf(), spec.name());
        for (Cell c : spec.cells()) {
            if (!c.config().data().isGenerated()) {
                throw new IllegalArgumentException(spec.origin() + ": cell " + c.id() + " (" + c.label() + ") trains on "
                        + "data.format = " + c.config().data().format() + "; sweeps run generated tasks only "
                        + "(accepted: data.format = generated); train a file dataset with 'carousel train'");
            }
        }
        SweepPlan plan = SweepPlan.of(spec.cells(), options.strategy(), sc.defaultParallelism());
        ParquetFiles.requireCodec(); // the tables' codec loads here, not at the first commit after training
        return plan;
    }

    /** Runs the cells that are not committed yet, then writes the report. */
    public Summary run() {
        long start = System.nanoTime();
        SweepPlan plan = check();
        try (SweepStore store = SweepStore.open(options.out(), options.hadoopConf(), spec.name(),
                options.commitSeconds(), SweepColumns.schema(spec))) {
            return run(store, plan, start);
        }
    }

    private Summary run(SweepStore store, SweepPlan plan, long start) {
        Map<String, String> committed = store.statuses();
        List<Cell> todo = new ArrayList<>();
        for (Cell c : spec.cells()) {
            String status = committed.get(c.id());
            if (status == null || (options.rerunFailed() && status.equals(CellOutcome.FAILED))) {
                todo.add(c);
            }
        }
        int skipped = spec.cells().size() - todo.size();
        log(String.format(Locale.ROOT, "carousel sweep %s: %d cells (%.4g GFLOP); %d committed in %s, %d to run%s",
                spec.name(), spec.cells().size(), spec.estimatedFlops() / 1e9, skipped, options.out(), todo.size(),
                options.rerunFailed() ? " (failed cells included)" : ""));
        Map<String, Integer> statuses = new TreeMap<>();
        Path report = new Path(new Path(store.dir(), SweepStore.REPORT), "index.html");
        if (todo.isEmpty()) {
            committed.values().forEach(s -> statuses.merge(s, 1, Integer::sum));
            if (!dev.carousel.store.Storage.exists(report, store.conf())) {
                report = writeReport(store);
            }
            log("nothing new to run; " + statusLine(statuses) + "; report: " + report);
            return new Summary(spec.cells().size(), skipped, 0, statuses, report, seconds(start));
        }
        log("strategy " + options.strategy().label() + ": " + plan.reason());
        if (spec.earlyStopping().enabled()) {
            log(String.format(Locale.ROOT, "early stopping: median rule after %d updates once %d comparable cells are "
                    + "committed; decisions go to runs.stopped_by", spec.earlyStopping().graceUpdates(),
                    spec.earlyStopping().minCells()));
        }
        Map<String, Object> manifest = manifest(store, plan, "running");
        store.writeManifest(manifest);

        References references = new References(spec.earlyStopping().enabled() ? readCurves(store, committed) : Map.of());
        SweepProgress progress = new SweepProgress(todo, skipped, plan.width());
        Map<String, CellOutcome> outcomes = execute(store, todo, plan, references, progress);
        store.flush();
        int compacted = store.compact();
        if (compacted > 0) {
            log("result tables compacted: " + compacted + " fewer files");
        }

        Map<String, String> now = new LinkedHashMap<>(committed);
        outcomes.forEach((id, o) -> now.put(id, o.status()));
        for (Cell c : spec.cells()) {
            statuses.merge(now.get(c.id()), 1, Integer::sum);
        }
        manifest = manifest(store, plan, "finished");
        store.writeManifest(manifest);
        report = writeReport(store);
        double wall = seconds(start);
        log(String.format(Locale.ROOT, "sweep %s finished in %s: %s (%d run now, %d already committed); report: %s",
                spec.name(), SweepProgress.duration(wall), statusLine(statuses), todo.size(), skipped, report));
        if (statuses.getOrDefault(CellOutcome.FAILED, 0) > 0) {
            log("some cells failed (their error is in runs.error and the report); rerun with --rerun-failed");
        }
        return new Summary(spec.cells().size(), skipped, todo.size(), statuses, report, wall);
    }

    // ---------------------------------------------------------------- execution

    private Map<String, CellOutcome> execute(SweepStore store, List<Cell> todo, SweepPlan plan, References references,
                                             SweepProgress progress) {
        AtomicInteger threads = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(plan.width(), r -> {
            Thread t = new Thread(r, "carousel-cell-" + threads.getAndIncrement());
            t.setDaemon(true);
            return t;
        });
        ScheduledExecutorService heartbeat = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "carousel-sweep-progress");
            t.setDaemon(true);
            return t;
        });
        if (options.log() != null) {
            long every = SweepProgress.HEARTBEAT_SECONDS;
            heartbeat.scheduleAtFixedRate(() -> progress.heartbeat(options.log()), every, every, TimeUnit.SECONDS);
        }
        Map<String, CellOutcome> outcomes = new LinkedHashMap<>();
        ExecutorCompletionService<CellOutcome> done = new ExecutorCompletionService<>(pool);
        try {
            for (Cell c : todo) {
                done.submit(() -> trainAndCommit(store, c, plan.dataParallel().get(c.id()), references, progress));
            }
            for (int i = 0; i < todo.size(); i++) {
                Future<CellOutcome> f = done.take();
                CellOutcome o = f.get();
                outcomes.put(o.cell(), o);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            cancel(pool);
            throw new IllegalStateException("sweep interrupted", e);
        } catch (ExecutionException e) {
            // Only committing can throw here (training failures are outcomes): the results cannot be written.
            cancel(pool);
            Throwable cause = e.getCause();
            throw cause instanceof RuntimeException re ? re : new IllegalStateException(cause);
        } finally {
            heartbeat.shutdownNow();
            pool.shutdown();
        }
        return outcomes;
    }

    /** Stops the cells still running: their Spark jobs first, so the worker threads return. */
    private void cancel(ExecutorService pool) {
        pool.shutdownNow();
        sc.cancelJobGroup(jobGroup);
    }

    private CellOutcome trainAndCommit(SweepStore store, Cell cell, boolean dataParallel, References references,
                                       SweepProgress progress) {
        // Local properties are per thread: each worker thread is its own FAIR pool, and Spark's UI names the cell.
        sc.setLocalProperty("spark.scheduler.pool", Thread.currentThread().getName());
        sc.setJobGroup(jobGroup, "cell " + cell.id() + " (" + cell.label() + ")", true);
        progress.started(cell);
        long start = System.nanoTime();
        Instant startedAt = Instant.now();
        MedianReference reference = references.snapshot(cell);
        CellOutcome outcome;
        try {
            if (dataParallel) {
                outcome = CellTraining.distributed(sc, cell.id(), cell.config(), spec.earlyStopping(), reference);
            } else { // one task; runJob with a named function skips Spark's closure cleaning of map and collect
                List<CellOutcome> one = new ArrayList<>(1);
                Jobs.run(sc, "cell " + cell.id(), sc.parallelize(List.of(0), 1), new TrainInTask(cell.id(),
                        ConfigLoader.canonical(cell.config()), spec.earlyStopping(), reference), (p, r) -> one.addAll(r));
                outcome = one.get(0);
            }
        } catch (RuntimeException e) {
            outcome = CellOutcome.failed(cell.id(), seconds(start), describe(e));
        }
        CarouselConfig c = cell.config();
        SortedMap<Long, StepStats> stats = outcome.stepStats();
        List<Summaries.Round> rounds = Summaries.rounds(stats);
        Object[] summary = SweepColumns.summary(outcome.curve().stream().mapToLong(CurvePoint::update).toArray(),
                outcome.curve().stream().mapToDouble(CurvePoint::validationLoss).toArray(), spec.targetLoss(c), rounds);
        Row run = SweepColumns.row(store.runsSchema(), ResultTables.runRow(c, outcome.status(), outcome.updates(),
                outcome.divergedAt(), outcome.last(), metricName(c), outcome.wallSeconds(), outcome.error(),
                outcome.stoppedBy()), spec.name(), startedAt, Instant.now(),
                String.valueOf(options.provenance().get("carousel_version")),
                String.valueOf(options.provenance().get("git_commit")), summary, cell);
        store.commit(cell.id(), run, ResultTables.curveRows(cell.id(), outcome.curve()),
                ResultTables.stepStatRows(cell.id(), stats), ResultTables.summaryRows(cell.id(), rounds));
        references.add(cell, outcome);
        progress.finished(cell, outcome, options.log());
        return outcome;
    }

    /** config-parallel: one Spark task trains the whole cell. A static class, so nothing else is serialized. */
    private static final class TrainInTask implements Function<Integer, CellOutcome> {
        private static final long serialVersionUID = 1L;
        private final String id;
        private final String canonical;
        private final EarlyStopping rule;
        private final MedianReference reference;

        TrainInTask(String id, String canonical, EarlyStopping rule, MedianReference reference) {
            this.id = id;
            this.canonical = canonical;
            this.rule = rule;
            this.reference = reference;
        }

        @Override
        public CellOutcome call(Integer ignored) {
            return CellTraining.local(id, canonical, rule, reference);
        }
    }

    static String metricName(CarouselConfig c) {
        return RunSetup.of(c).task().supervision().kind() == LossKind.MSE ? "mse" : "accuracy";
    }

    /** One line on why a cell failed: the innermost cause's message (Spark wraps task failures several times). */
    static String describe(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getClass().getSimpleName() + ": " + root.getMessage();
        String line = message.replaceAll("\\s*\\R\\s*", " ").trim();
        return line.length() <= 500 ? line : line.substring(0, 497) + "...";
    }

    // ---------------------------------------------------------------- results

    private Path writeReport(SweepStore store) {
        return store.publishReport(folder -> SweepReport.write(store.dir(), store.conf(), folder, "sweep " + spec.name()));
    }

    private Map<String, Object> manifest(SweepStore store, SweepPlan plan, String state) {
        Map<String, Object> m = new LinkedHashMap<>();
        Map<String, Object> previous = store.readManifest();
        List<Object> history = new ArrayList<>();
        if (previous != null) {
            Object h = previous.get("history");
            if (h instanceof List<?> list) {
                history.addAll(list);
                if ("finished".equals(state) && !history.isEmpty()) {
                    history.remove(history.size() - 1); // replaces this run's "running" entry
                }
            }
        }
        Map<String, Object> thisRun = new LinkedHashMap<>();
        thisRun.put("at", Instant.now().toString());
        thisRun.put("state", state);
        thisRun.put("strategy", options.strategy().label());
        thisRun.put("plan", plan.reason());
        thisRun.put("rerun_failed", options.rerunFailed());
        thisRun.put("spark_master", sc.master());
        history.add(thisRun);

        m.put("name", spec.name());
        m.put("spec_file", spec.origin());
        m.put("spec", options.specText());
        m.put("columns", spec.columns());
        Map<String, Object> stopping = new LinkedHashMap<>();
        stopping.put("rule", spec.earlyStopping().enabled() ? "median" : "none");
        stopping.put("grace_updates", spec.earlyStopping().graceUpdates());
        stopping.put("min_cells", spec.earlyStopping().minCells());
        m.put("early_stopping", stopping);
        List<Object> cells = new ArrayList<>();
        for (Cell c : spec.cells()) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("id", c.id());
            e.put("axes", c.axes());
            e.put("gflop", c.estimatedFlops() / 1e9);
            cells.add(e);
        }
        m.put("cells", cells);
        m.put("provenance", options.provenance());
        m.put("history", history);
        return m;
    }

    /** Curves of committed, completed cells, for the median rule. */
    private Map<String, List<CurvePoint>> readCurves(SweepStore store, Map<String, String> committed) {
        Map<String, List<CurvePoint>> out = new LinkedHashMap<>();
        if (committed.isEmpty()) {
            return out;
        }
        List<Row> rows = new ArrayList<>(Table.at(new Path(store.dir(), SweepStore.CURVES), store.conf())
                .read(ResultTables.CURVES, "cell", "update", "sequences_seen", "validation_loss"));
        rows.sort(Comparator.comparing((Row r) -> r.getString(0)).thenComparingLong(r -> r.getLong(1)));
        for (Row r : rows) {
            String cell = r.getString(0);
            if (!"completed".equals(committed.get(cell)) || r.isNullAt(3)) {
                continue;
            }
            out.computeIfAbsent(cell, k -> new ArrayList<>()).add(new CurvePoint(r.getLong(1), r.getLong(2), Double.NaN,
                    r.getDouble(3), Double.NaN, Double.NaN));
        }
        return out;
    }

    /** The curves of completed cells by comparable group (task and length), for the median rule. */
    private final class References {
        private final Map<String, List<List<CurvePoint>>> byGroup = new LinkedHashMap<>();

        References(Map<String, List<CurvePoint>> committedCurves) {
            Map<String, Cell> cells = spec.cells().stream().collect(Collectors.toMap(Cell::id, c -> c));
            committedCurves.forEach((id, curve) -> {
                Cell c = cells.get(id);
                if (c != null) {
                    byGroup.computeIfAbsent(group(c), k -> new ArrayList<>()).add(curve);
                }
            });
        }

        synchronized MedianReference snapshot(Cell cell) {
            MedianReference r = MedianReference.empty();
            byGroup.getOrDefault(group(cell), List.of()).forEach(r::add);
            return r;
        }

        synchronized void add(Cell cell, CellOutcome outcome) {
            if (outcome.status().equals("completed")) {
                byGroup.computeIfAbsent(group(cell), k -> new ArrayList<>()).add(outcome.curve());
            }
        }

        private String group(Cell c) {
            return c.config().task().name() + "/" + c.config().task().length();
        }
    }

    // ---------------------------------------------------------------- progress

    private void log(String line) {
        if (options.log() != null) {
            options.log().println(line);
            options.log().flush();
        }
    }

    private static String statusLine(Map<String, Integer> statuses) {
        return statuses.entrySet().stream().map(e -> e.getValue() + " " + e.getKey()).collect(Collectors.joining(", "));
    }
}
