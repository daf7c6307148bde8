#!/usr/bin/env bash
# submit.sh: runs a carousel command (train or sweep) through spark-submit, with the Spark settings of one
# environment (conf/<env>.properties) laid over the cluster's spark-defaults.conf, and the shaded application
# jar. jobs/train.sh and jobs/sweep.sh call it.
#   jobs/submit.sh train|sweep [--env local|standalone|yarn|k8s] [--conf KEY=VALUE]... CONFIG [command options]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

command="${1:-}"
case "$command" in
  train|sweep) shift ;;
  *) echo "submit.sh: the first argument must be train or sweep, not '${command}'" >&2; exit 2 ;;
esac
script="jobs/$command.sh"

usage() {
  cat <<USAGE
Usage: $script [--env local|standalone|yarn|k8s] [--conf KEY=VALUE]... CONFIG [$command options]

Runs \`carousel $command CONFIG [$command options]\` (see \`jobs/carousel $command --help\`) through
spark-submit with the Spark settings of conf/<env>.properties (default env: local).

  --env ENV          local (this machine), standalone, yarn or k8s
  --conf KEY=VALUE   a Spark setting over the properties file, e.g. --conf spark.master=spark://head:7077

Spark settings, later ones winning:
  1. the cluster's spark-defaults.conf (\$SPARK_CONF_DIR, else \$SPARK_HOME/conf), which spark-submit
     itself reads only when given no properties file;
  2. conf/<env>.properties;
  3. --conf.
  1 and 2 go to spark-submit as one merged temporary properties file, removed when spark-submit ends.

Environment:
  SPARK_HOME      spark-submit is \$SPARK_HOME/bin/spark-submit (else spark-submit on PATH)
  SPARK_CONF_DIR  the folder of the cluster's spark-defaults.conf (default: \$SPARK_HOME/conf)
  CAROUSEL_JAR    application jar (default: target/carousel-0.1.0-SNAPSHOT-app.jar, built if missing or
                  stale; for k8s local:///opt/carousel/carousel-app.jar, the jar inside the image)
  OMP_NUM_THREADS BLAS threads of the driver (default 1)
USAGE
}

bad() {
  echo "$command.sh: $*" >&2
  echo "(see '$script --help')" >&2
  exit 2
}

env=local
spark_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --env) [ $# -ge 2 ] || bad "--env needs a value"; env="$2"; shift 2 ;;
    --env=*) env="${1#--env=}"; shift ;;
    --conf) [ $# -ge 2 ] || bad "--conf needs KEY=VALUE"; spark_args+=(--conf "$2"); shift 2 ;;
    --conf=*) spark_args+=(--conf "${1#--conf=}"); shift ;;
    -h|--help) usage; exit 0 ;;
    --) shift; break ;;
    -*) bad "unknown option $1 ($command options go after CONFIG)" ;;
    *) break ;;
  esac
done
[ $# -ge 1 ] || bad "CONFIG is required"
case "$env" in
  local|standalone|yarn|k8s) ;;
  *) bad "--env must be local, standalone, yarn or k8s, not '$env'" ;;
esac
properties="$root/conf/$env.properties"
[ -f "$properties" ] || bad "$properties not found"

if [ -n "${SPARK_HOME:-}" ] && [ -x "$SPARK_HOME/bin/spark-submit" ]; then
  submit="$SPARK_HOME/bin/spark-submit"
  spark_home="$SPARK_HOME"
elif command -v spark-submit >/dev/null 2>&1; then
  submit="spark-submit"
  # Where spark-submit finds its home when SPARK_HOME is unset: the folder above its bin/.
  spark_home="${SPARK_HOME:-$(cd "$(dirname "$(command -v spark-submit)")/.." && pwd)}"
else
  bad "spark-submit not found: set SPARK_HOME to a Spark 3.5 (Scala 2.12) installation or put spark-submit on PATH"
fi

if [ -n "${CAROUSEL_JAR:-}" ]; then
  jar="$CAROUSEL_JAR"
elif [ "$env" = k8s ]; then
  # Cluster mode on Kubernetes: the driver pod loads the jar from the image.
  jar="local:///opt/carousel/carousel-app.jar"
else
  jar="$root/target/carousel-0.1.0-SNAPSHOT-app.jar"
  if [ ! -f "$jar" ] || [ -n "$(find "$root/src/main" "$root/pom.xml" -newer "$jar" -print -quit 2>/dev/null)" ]; then
    echo "$command.sh: building the application jar (mvn package, tests skipped) ..." >&2
    (cd "$root" && mvn -B -q -DskipTests package) >&2
  fi
fi

# spark-submit --properties-file F reads F instead of spark-defaults.conf, not on top of it: the cluster's
# defaults (event log, history server, YARN queues, Hadoop and object-store settings) would be lost. So the
# properties spark-submit gets are the defaults, then conf/<env>.properties, concatenated into one file:
# java.util.Properties keeps a key's last value, so Carousel's settings win over the defaults. A blank line
# after each file ends a trailing continuation line there.
defaults="${SPARK_CONF_DIR:-$spark_home/conf}/spark-defaults.conf"
layers=()
if [ -f "$defaults" ]; then layers+=("$defaults"); fi
layers+=("$properties")
merged=""
if [ ${#layers[@]} -eq 1 ]; then
  spark_properties="$properties"
else
  merged="$(mktemp "${TMPDIR:-/tmp}/carousel-spark-properties.XXXXXX")"
  trap 'rm -f "$merged"' EXIT
  for layer in "${layers[@]}"; do
    printf '\n# %s\n' "$layer"
    cat "$layer"
    printf '\n'
  done > "$merged"
  spark_properties="$merged"
fi

# One BLAS/OpenMP thread for the driver, which trains (spark.executorEnv.OMP_NUM_THREADS covers executors
# only): on small recurrent products multi-threaded BLAS was 50-100x slower on 2 cores. Override by
# exporting OMP_NUM_THREADS.
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
# The driver's logging config: spark-submit passes SPARK_SUBMIT_OPTS to a client-mode driver JVM; the
# properties files cannot name this checkout's conf/. Options already in SPARK_SUBMIT_OPTS come later and win.
export SPARK_SUBMIT_OPTS="-Dlog4j2.configurationFile=$root/conf/log4j2.properties${SPARK_SUBMIT_OPTS:+ $SPARK_SUBMIT_OPTS}"

extra=()
if [ "$env" = yarn ]; then
  # YARN localizes --files into each container's working directory before the executor starts, where
  # conf/yarn.properties' -Dlog4j2.configurationFile=log4j2.properties finds it.
  extra+=(--files "$root/conf/log4j2.properties")
fi

run=("$submit" --properties-file "$spark_properties" ${extra[@]+"${extra[@]}"} ${spark_args[@]+"${spark_args[@]}"}
  --class dev.carousel.cli.Main "$jar" "$command" "$@")
if [ -z "$merged" ]; then
  exec "${run[@]}"
fi
# With a merged file, spark-submit runs as a child so that the EXIT trap can remove the file when it ends.
# INT, TERM and HUP sent to this script reach it as TERM (a background job of a script ignores INT).
"${run[@]}" &
child=$!
trap 'kill -TERM "$child" 2>/dev/null || true' INT TERM HUP
status=0
wait "$child" || status=$?
# A trapped signal ends wait early, while spark-submit is still stopping: wait for its own exit status.
while kill -0 "$child" 2>/dev/null; do
  status=0
  wait "$child" || status=$?
done
exit "$status"
