#!/usr/bin/env bash
# submit.sh: runs a carousel command (train or sweep) through spark-submit, with the Spark settings of one
# environment (conf/<env>.properties) and the shaded application jar. jobs/train.sh and jobs/sweep.sh call it.
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
spark-submit with --properties-file conf/<env>.properties (default env: local).

  --env ENV          local (this machine), standalone, yarn or k8s
  --conf KEY=VALUE   a Spark setting over the properties file, e.g. --conf spark.master=spark://head:7077

Environment:
  SPARK_HOME      spark-submit is \$SPARK_HOME/bin/spark-submit (else spark-submit on PATH)
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
elif command -v spark-submit >/dev/null 2>&1; then
  submit="spark-submit"
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

exec "$submit" --properties-file "$properties" "${extra[@]}" "${spark_args[@]}" \
  --class dev.carousel.cli.Main "$jar" "$command" "$@"
