#!/usr/bin/env bash
# train.sh: runs `carousel train` through spark-submit, with the Spark settings of one environment
# (conf/<env>.properties) and the shaded application jar.
#   jobs/train.sh [--env local|standalone|yarn|k8s] [--conf KEY=VALUE]... CONFIG [train options]
#   jobs/train.sh --env local conf/main.conf --out runs
#   jobs/train.sh --env standalone --conf spark.master=spark://head:7077 conf/main.conf --out /shared/runs
exec "$(dirname "${BASH_SOURCE[0]}")/submit.sh" train "$@"
