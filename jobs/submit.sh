#!/usr/bin/env bash
# submit.sh: runs a carousel command (train or sweep) through spark-submit, with the Spark settings of one
# environment (conf/<env>.properties) laid over the cluster's spark-defaults.conf, any spark-submit options
# given before CONFIG, and the shaded application jar. jobs/train.sh and jobs/sweep.sh call it.
#   jobs/submit.sh train|sweep [--env local|standalone|yarn|k8s] [spark-submit options] CONFIG [command options]
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
Usage: $script [--env local|standalone|yarn|k8s] [spark-submit options] CONFIG [$command options]

Runs \`carousel $command CONFIG [$command options]\` (see \`jobs/carousel $command --help\`) through
spark-submit with the Spark settings of conf/<env>.properties (default env: local).

  --env ENV   local (this machine), standalone, yarn or k8s
  Every other option before CONFIG goes to spark-submit, with its value, e.g. --conf KEY=VALUE,
  --master URL, --deploy-mode MODE, --queue Q, --num-executors N, --executor-memory 8g,
  --driver-memory 8g, --principal P --keytab K, --proxy-user U, --name N, --verbose.
  Refused (exit 2): --class (set here), --kill, --status and --version (not submissions), --remote
  (Carousel needs a classic Spark driver, not Spark Connect), and options spark-submit 3.5 does not know.

Spark settings, later ones winning:
  1. the cluster's spark-defaults.conf (\$SPARK_CONF_DIR, else \$SPARK_HOME/conf), which spark-submit
     itself reads only when given no properties file;
  2. conf/<env>.properties;
  3. files given with --properties-file, in order;
  4. --conf and the other options.
  1 to 3 go to spark-submit as one merged temporary properties file, removed when spark-submit ends.
  --files, --jars, --archives, --py-files, --packages, --exclude-packages, --repositories,
  --driver-java-options, --driver-class-path and --driver-library-path add to the value that 1 to 4 give
  their key (spark.files, spark.jars, ..., spark.driver.extraJavaOptions) and to their earlier uses,
  where spark-submit would keep only the last: --env yarn ships conf/log4j2.properties with --files, and
  yours go with it.

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

# spark-submit 3.5's options (org.apache.spark.launcher.SparkSubmitOptionParser): those that take a value,
# and the switches. -h/--help is this script's.
value_options=" --archives --class --conf -c --deploy-mode --driver-class-path --driver-cores --driver-java-options
  --driver-library-path --driver-memory --executor-cores --executor-memory --exclude-packages --files --jars --keytab
  --kill --master --name --num-executors --packages --principal --properties-file --proxy-user --py-files --queue
  --remote --repositories --status --total-executor-cores "
switch_options=" --supervise --usage-error --verbose -v --version "
listed() { case "$2" in *[[:space:]]"$1"[[:space:]]*) return 0 ;; *) return 1 ;; esac; }

# Options whose value spark-submit takes whole, replacing both their key's value from the properties and
# their earlier uses; this script joins them instead. Option, its key, and the separator of its values.
join_options=(--files --jars --archives --py-files --packages --exclude-packages --repositories
  --driver-java-options --driver-class-path --driver-library-path)
join_keys=(spark.files spark.jars spark.archives spark.submit.pyFiles spark.jars.packages spark.jars.excludes
  spark.jars.repositories spark.driver.extraJavaOptions spark.driver.extraClassPath spark.driver.extraLibraryPath)
join_separators=(, , , , , , , " " : :)
joined=("" "" "" "" "" "" "" "" "" "")
join_index() {
  local i
  for i in "${!join_options[@]}"; do
    if [ "${join_options[$i]}" = "$1" ]; then echo "$i"; return 0; fi
  done
  return 1
}
# "$1$3$2", or whichever of $1 and $2 is not empty.
join() { if [ -z "$1" ]; then echo "$2"; elif [ -z "$2" ]; then echo "$1"; else echo "$1$3$2"; fi; }

env=local
passed=()          # spark-submit options and values, in the order given
confs=()           # the KEY=VALUE of each --conf
property_files=()  # --properties-file values
while [ $# -gt 0 ]; do
  case "$1" in
    --) shift; break ;;
    -h|--help) usage; exit 0 ;;
    -*) ;;
    *) break ;;
  esac
  option="$1"; value=""; has_value=false
  shift
  case "$option" in
    --*=*) value="${option#*=}"; option="${option%%=*}"; has_value=true ;;
  esac
  case "$option" in
    --env)
      if ! $has_value; then [ $# -ge 1 ] || bad "--env needs a value"; value="$1"; shift; fi
      env="$value"; continue ;;
    --class) bad "--class is set by $script (dev.carousel.cli.Main)" ;;
    --kill|--status|--version|--usage-error) bad "$option is not a submission; run spark-submit $option directly" ;;
    --remote) bad "--remote is Spark Connect, and Carousel needs a classic Spark driver (it runs RDD jobs)" ;;
  esac
  if listed "$option" "$switch_options"; then
    $has_value && bad "$option takes no value"
    passed+=("$option"); continue
  fi
  listed "$option" "$value_options" \
    || bad "unknown option $option: neither --env nor a spark-submit 3.5 option ($command options go after CONFIG)"
  if ! $has_value; then
    [ $# -ge 1 ] || bad "$option needs a value"
    value="$1"; shift
  fi
  case "$option" in
    -c|--conf)
      case "$value" in *=*) ;; *) bad "--conf needs KEY=VALUE, not '$value'" ;; esac
      passed+=(--conf "$value"); confs+=("$value") ;;
    --properties-file)
      [ -f "$value" ] || bad "--properties-file $value not found"
      property_files+=("$value") ;;
    *)
      if i="$(join_index "$option")"; then
        joined[$i]="$(join "${joined[$i]}" "$value" "${join_separators[$i]}")"
      else
        passed+=("$option" "$value")
      fi ;;
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
  # Stale also when HEAD moved (a commit, a checkout): the jar records the commit it was built from.
  if [ ! -f "$jar" ] || [ -n "$(find "$root/src/main" "$root/pom.xml" "$root/.git/HEAD" "$root/.git/logs/HEAD" \
      -newer "$jar" -print -quit 2>/dev/null)" ]; then
    echo "$command.sh: building the application jar (mvn package, tests skipped) ..." >&2
    (cd "$root" && mvn -B -q -DskipTests package) >&2
  fi
fi

# spark-submit --properties-file F reads F instead of spark-defaults.conf, not on top of it: the cluster's
# defaults (event log, history server, YARN queues, Hadoop and object-store settings) would be lost. So the
# properties spark-submit gets are the defaults, then conf/<env>.properties, then the --properties-file
# files, concatenated into one file: java.util.Properties keeps a key's last value, so Carousel's settings
# win over the defaults and the user's over Carousel's. A blank line after each file ends a trailing
# continuation line there.
defaults="${SPARK_CONF_DIR:-$spark_home/conf}/spark-defaults.conf"
layers=()
if [ -f "$defaults" ]; then layers+=("$defaults"); fi
layers+=("$properties")
if [ ${#property_files[@]} -gt 0 ]; then layers+=("${property_files[@]}"); fi
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

# The last value of key $1 in the properties file $2, trimmed as Spark trims it, for the key=value,
# key: value and key value lines spark-defaults.conf holds (escapes and continuation lines are not decoded).
property() {
  awk -v key="$1" '
    { line = $0; sub(/^[ \t\f]+/, "", line) }
    line ~ /^[#!]/ { next }
    substr(line, 1, length(key)) == key {
      rest = substr(line, length(key) + 1)
      if (rest == "" || rest ~ /^[ \t\f=:]/) {
        sub(/^[ \t\f]*[=:]?[ \t\f]*/, "", rest); sub(/[ \t\f\r]+$/, "", rest); value = rest; found = 1
      }
    }
    END { if (found) print value }' "$2"
}
# The value of key $1 in the last --conf that sets it; fails if none does.
conf_value() {
  local pair found=1 value=""
  for pair in ${confs[@]+"${confs[@]}"}; do
    if [ "${pair%%=*}" = "$1" ]; then value="${pair#*=}"; found=0; fi
  done
  echo "$value"
  return $found
}

# One BLAS/OpenMP thread for the driver, which trains (spark.executorEnv.OMP_NUM_THREADS covers executors
# only): on small recurrent products multi-threaded BLAS was 50-100x slower on 2 cores. Override by
# exporting OMP_NUM_THREADS.
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
# The driver's logging config: spark-submit passes SPARK_SUBMIT_OPTS to a client-mode driver JVM; the
# properties files cannot name this checkout's conf/. Options already in SPARK_SUBMIT_OPTS come later and win.
export SPARK_SUBMIT_OPTS="-Dlog4j2.configurationFile=$root/conf/log4j2.properties${SPARK_SUBMIT_OPTS:+ $SPARK_SUBMIT_OPTS}"

if [ "$env" = yarn ]; then
  # YARN localizes --files into each container's working directory before the executor starts, where
  # conf/yarn.properties' -Dlog4j2.configurationFile=log4j2.properties finds it.
  i="$(join_index --files)"
  joined[$i]="$(join "$root/conf/log4j2.properties" "${joined[$i]}" ,)"
fi
for i in "${!join_options[@]}"; do
  [ -n "${joined[$i]}" ] || continue
  base="$(conf_value "${join_keys[$i]}")" || base="$(property "${join_keys[$i]}" "$spark_properties")"
  passed+=("${join_options[$i]}" "$(join "$base" "${joined[$i]}" "${join_separators[$i]}")")
done

run=("$submit" --properties-file "$spark_properties" ${passed[@]+"${passed[@]}"} --class dev.carousel.cli.Main
  "$jar" "$command" "$@")
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
