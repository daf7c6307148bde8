#!/usr/bin/env bash
# Spark-level figures (issue 5, item 4; BENCHMARKS.md "Spark-level figures"), one JVM per mode and master:
#   jobs     local[2]: how long an empty Spark job takes, submitted as treeAggregate, map().collect() or runJob
#   rounds   local[2]: outside-compute share of a round (default sweep's cell, H = 32, and a large model, H = 256),
#            round time against T = 25, 50, 100, 200 and against 1, 2, 4 data-parallel cells running at once
#   scaling  data-parallel (2 partitions) and config-parallel (2 cells) throughput on 1 and 2 executor JVMs
#            (local-cluster[1,1,2048] vs local-cluster[2,1,2048]) and on local[1] vs local[2]; the 1- and 2-slot
#            runs of a repeat are back to back, ratios are taken within a repeat, then their median
#   threads  no Spark: 1 and 2 threads of one JVM each training the default cell (ThreadBench), after a 3,000-update
#            warm-up: the scaling the JVM itself allows
#   sweep    cells per hour of an 8-cell subset of conf/sweeps/forget-gate.conf (200 updates per cell) under
#            config-parallel, data-parallel (partitions 1, as the spec) and data-parallel with partitions = 2,
#            alternating, twice
# Every figure is a median (over rounds, jobs or repeats); see bench/summarize_spark.py.
#
#   bench/spark.sh                 # full run: 22 min at load 6-9 on 2 cores, est. 12-13 min quiet; OUT=target/bench-spark.txt
#   QUICK=1 bench/spark.sh         # smoke run: far fewer steps, one repeat (6 min at load 7-9)
#   REPEATS=5 bench/spark.sh       # more scaling repeats (default 3; 1 in quick mode)
#   bench/spark.sh share 'local[2]'   # one mode on one master only (modes: jobs, rounds, share, overhead,
#                                     # scaling, sweep, breakdown); BENCH_JAVA_OPTS adds JVM options
#   breakdown (not in the full run) local[2]: where a one-partition job's time outside compute goes, from Spark's
#            task metrics (launch delay, deserialisation, result transfer; BENCHMARKS.md table (a'))
#   bench/spark.sh model   (not in the full run; ~8 min per repeat) the scaling model (ScalingBench) against rounds measured on
#            local[1], local[2], local-cluster with 1 and 2 executors and a standalone master with 2 one-core
#            workers that the script starts; REPEATS=1 unless set; MODEL_MASTERS='local[2] standalone' picks
#            masters
#   bench/spark.sh fullsweep-scaling   (not in the full run; ~14 min per repeat) the whole default sweep, as README's
#            main command runs it, twice per JVM (cold, then warm), on 1 and 2 executor JVMs and on local[1] and
#            local[2], alternating; REPEATS=1
#            unless set
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
QUICK=${QUICK:-0}
REPEATS_SET=${REPEATS:-}
if [[ $QUICK == 1 ]]; then REPEATS=${REPEATS:-1}; else REPEATS=${REPEATS:-3}; fi
OUT=${OUT:-target/bench-spark.txt}
LOG=${LOG:-target/bench-spark-stderr.log}
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
export SPARK_LOCAL_IP=${SPARK_LOCAL_IP:-127.0.0.1}

bench/build.sh
CP="target/bench-classes:target/classes:$(cat target/bench-classpath.txt)"

# local-cluster executors start from $SPARK_HOME/jars/* (no Spark distribution here: links to the jars Maven
# resolved, as src/test/java/dev/carousel/spark/LocalSparkHome.java does for the tests); Carousel's and the
# benchmark's classes reach them as an application jar (spark.jars).
SPARK_HOME=$ROOT/target/bench-spark-home
rm -rf "$SPARK_HOME" && mkdir -p "$SPARK_HOME/jars" "$SPARK_HOME/app"
tr ':' '\n' < target/bench-classpath.txt | while read -r jar; do
  [[ $jar == *.jar && -f $jar ]] || continue
  name=$(basename "$jar")
  [[ -e $SPARK_HOME/jars/$name ]] && name="$(echo "$jar" | md5sum | cut -c1-8)-$name"
  ln -s "$jar" "$SPARK_HOME/jars/$name"
done
APP_JAR=$SPARK_HOME/app/carousel-bench.jar
jar cf "$APP_JAR" -C target/classes . -C target/bench-classes .
export SPARK_HOME SPARK_SCALA_VERSION=2.12

source bench/opens.sh
bench() { # MODE MASTER REPEAT   (MODE jobs: JobLatency, the cost of an empty Spark job)
  local main=dev.carousel.bench.SparkBench
  if [[ $1 == jobs ]]; then main=dev.carousel.bench.JobLatency; set -- "$2" "$([[ $QUICK == 1 ]] && echo 50 || echo 300)"; fi
  java -Xmx4g "${OPENS[@]}" ${BENCH_JAVA_OPTS:-} -Dbench.quick=$([[ $QUICK == 1 ]] && echo true || echo false) \
      -Dbench.appJar="$APP_JAR" -Dbench.spec="$ROOT/conf/sweeps/forget-gate.conf" \
      -Dlog4j2.configurationFile="$ROOT/conf/log4j2.properties" \
      -cp "$CP" "$main" "$@" 2>>"$LOG" | grep -E '^(repeat|engine)=' | tee -a "$OUT"
}

if [[ ${1:-} == fullsweep-scaling ]]; then # appended to $OUT
  for r in $(seq 1 "${REPEATS_SET:-1}"); do
    for master in 'local-cluster[1,1,2048]' 'local-cluster[2,1,2048]' 'local[1]' 'local[2]'; do
      echo "# mode fullsweep, repeat $r, $master, load average $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT"
      bench fullsweep "$master" "$r"
    done
  done
  exit 0
fi

# A standalone cluster on this host: a master and two workers of one core each, separate JVMs started from the
# jars in $SPARK_HOME, as sbin/start-master.sh and start-worker.sh would; stopped when the script exits.
STANDALONE_PIDS=()
start_standalone() {
  local port=${STANDALONE_PORT:-7177} log=target/bench-standalone
  mkdir -p "$log"
  java -Xmx512m "${OPENS[@]}" -cp "$SPARK_HOME/jars/*" org.apache.spark.deploy.master.Master --host 127.0.0.1 --port "$port" \
      --webui-port 0 >"$log/master.log" 2>&1 &
  STANDALONE_PIDS+=($!)
  for w in 1 2; do
    SPARK_WORKER_DIR=$PWD/$log/work-$w java -Xmx512m "${OPENS[@]}" -cp "$SPARK_HOME/jars/*" org.apache.spark.deploy.worker.Worker \
        --host 127.0.0.1 --cores 1 --memory 2g --webui-port 0 --work-dir "$PWD/$log/work-$w" \
        "spark://127.0.0.1:$port" >"$log/worker-$w.log" 2>&1 &
    STANDALONE_PIDS+=($!)
  done
  trap 'kill "${STANDALONE_PIDS[@]}" 2>/dev/null || true' EXIT
  for _ in $(seq 1 120); do
    [[ $(grep -c "Successfully registered with master" "$log"/worker-*.log 2>/dev/null | awk -F: '{s+=$2} END {print s+0}') -ge 2 ]] && break
    sleep 0.5
  done
  STANDALONE_MASTER="spark://127.0.0.1:$port"
}

if [[ ${1:-} == model ]]; then # the scaling model against every master this host runs (BENCHMARKS.md "Scaling model")
  start_standalone
  for r in $(seq 1 "${REPEATS_SET:-1}"); do
    masters=('local[1]' 'local[2]' 'local-cluster[1,1,2048]' 'local-cluster[2,1,2048]' "$STANDALONE_MASTER")
    [[ -n ${MODEL_MASTERS:-} ]] && read -ra masters <<< "${MODEL_MASTERS//standalone/$STANDALONE_MASTER}"
    for master in "${masters[@]}"; do
      echo "# mode model, repeat $r, $master, load average $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT"
      java -Xmx4g "${OPENS[@]}" ${BENCH_JAVA_OPTS:-} -Dbench.quick=$([[ $QUICK == 1 ]] && echo true || echo false) \
          -Dbench.appJar="$APP_JAR" -Dbench.slots=2 -Dlog4j2.configurationFile="$ROOT/conf/log4j2.properties" \
          -cp "$CP" dev.carousel.bench.ScalingBench "$master" "$r" 2>>"$LOG" | grep -E '^repeat=' | tee -a "$OUT"
    done
  done
  exit 0
fi

if [[ $# -gt 0 ]]; then # one mode on one master, appended to $OUT
  bench "$1" "$2" "${3:-1}"
  exit 0
fi

: > "$OUT"
: > "$LOG"
{ echo "# $(date -u +%FT%TZ) $(uname -m) $(nproc --all) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
  echo "# quick=$QUICK repeats=$REPEATS; OpenJDK $(java -version 2>&1 | head -1 | cut -d'"' -f2)"
  echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"; } | tee -a "$OUT"
start=$SECONDS
echo "# mode jobs" | tee -a "$OUT"
bench jobs 'local[2]'
echo "# mode rounds" | tee -a "$OUT"
bench rounds 'local[2]' 1
for r in $(seq 1 "$REPEATS"); do
  echo "# mode scaling, repeat $r, load average $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT"
  bench scaling 'local-cluster[1,1,2048]' "$r"
  bench scaling 'local-cluster[2,1,2048]' "$r"
  bench scaling 'local[1]' "$r"
  bench scaling 'local[2]' "$r"
done
echo "# mode threads (no Spark), load average $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT"
for r in $(seq 1 "$REPEATS"); do
  for t in 1 2; do
    java -Xmx4g -Dbench.warmup=$([[ $QUICK == 1 ]] && echo 300 || echo 3000) -cp "$CP" dev.carousel.bench.ThreadBench "$t" \
        $([[ $QUICK == 1 ]] && echo 200 || echo 2000) 2>>"$LOG" | grep '^threads=' | sed "s/^/repeat=$r engine=threads figure=threads /" | tee -a "$OUT"
  done
done
echo "# mode sweep, load average $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT"
bench sweep 'local[2]' 1
echo "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg); $((SECONDS - start)) s" | tee -a "$OUT"
python3 bench/summarize_spark.py "$OUT"
