#!/usr/bin/env bash
# sweep.sh: runs `carousel sweep` through spark-submit, with the Spark settings of one environment
# (conf/<env>.properties) and the shaded application jar. Re-running resumes; with nothing new in the spec
# it trains nothing and rewrites nothing, so it is safe to schedule (jobs/cron/, jobs/k8s/).
#   jobs/sweep.sh [--env local|standalone|yarn|k8s] [--conf KEY=VALUE]... SPEC [sweep options]
#   jobs/sweep.sh --env local conf/sweeps/forget-gate.conf --out runs/forget-gate
#   jobs/sweep.sh --env standalone --conf spark.master=spark://head:7077 conf/sweeps/forget-gate.conf \
#       --out /shared/sweeps/forget-gate
exec "$(dirname "${BASH_SOURCE[0]}")/submit.sh" sweep "$@"
