package dev.carousel.bench;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.executor.TaskMetrics;
import org.apache.spark.scheduler.TaskInfo;

/**
 * Where the time of a round's Spark job goes, from Spark's own task metrics: a listener that keeps, per stage name
 * ("round at update N", as {@code Jobs.run} names them), the job's submission and end times and the slowest
 * task's deserialisation, run, result-serialisation and GC times and result size. Millisecond resolution (Spark's
 * clocks); diagnostics for {@link SparkBench}'s {@code breakdown} mode only.
 */
final class RoundBreakdown extends SparkListener {
    /** One job's figures; times in ms. */
    static final class Job {
        volatile long submitted = -1;
        volatile long ended = -1;
        volatile long firstLaunch = Long.MAX_VALUE;
        volatile long lastFinish = -1;
        volatile long deserialize;
        volatile long run;
        volatile long resultSerialize;
        volatile long gettingResult;
        volatile long gc;
        volatile long resultBytes;
        volatile long deserializeCpuNs;
        volatile long runCpuNs;
    }

    private final Map<Integer, Integer> stageJob = new ConcurrentHashMap<>();
    private final Map<Integer, Job> jobs = new ConcurrentHashMap<>();
    private final Map<String, Job> byName = new ConcurrentHashMap<>();

    @Override
    public void onJobStart(SparkListenerJobStart e) {
        Job j = new Job();
        j.submitted = e.time();
        jobs.put(e.jobId(), j);
        scala.collection.Iterator<org.apache.spark.scheduler.StageInfo> it = e.stageInfos().iterator();
        while (it.hasNext()) {
            org.apache.spark.scheduler.StageInfo s = it.next();
            stageJob.put(s.stageId(), e.jobId());
            byName.put(s.name(), j);
        }
    }

    @Override
    public synchronized void onTaskEnd(SparkListenerTaskEnd e) {
        Integer jobId = stageJob.get(e.stageId());
        Job j = jobId == null ? null : jobs.get(jobId);
        if (j == null || e.taskMetrics() == null) {
            return;
        }
        TaskInfo ti = e.taskInfo();
        TaskMetrics m = e.taskMetrics();
        j.firstLaunch = Math.min(j.firstLaunch, ti.launchTime());
        j.lastFinish = Math.max(j.lastFinish, ti.finishTime());
        j.deserialize = Math.max(j.deserialize, m.executorDeserializeTime());
        j.deserializeCpuNs = Math.max(j.deserializeCpuNs, m.executorDeserializeCpuTime());
        j.run = Math.max(j.run, m.executorRunTime());
        j.runCpuNs = Math.max(j.runCpuNs, m.executorCpuTime());
        j.resultSerialize = Math.max(j.resultSerialize, m.resultSerializationTime());
        j.gettingResult = Math.max(j.gettingResult, ti.gettingResultTime() > 0 ? ti.finishTime() - ti.gettingResultTime() : 0);
        j.gc = Math.max(j.gc, m.jvmGCTime());
        j.resultBytes = Math.max(j.resultBytes, m.resultSize());
    }

    @Override
    public void onJobEnd(SparkListenerJobEnd e) {
        Job j = jobs.get(e.jobId());
        if (j != null) {
            j.ended = e.time();
        }
    }

    /** The job whose stage is named {@code name}, or null. */
    Job job(String name) {
        return byName.get(name);
    }
}
