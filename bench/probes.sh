#!/usr/bin/env bash
# Probe cost per probed step (BENCHMARKS.md, "Probe cost"): one training step as LocalSteps runs it, float32, one
# thread, with probes off, the default probe set, the default set plus the split of ∂ℓ/∂c (dc_*), and every probe;
# the four run in turn in every repeat, so machine noise hits all alike. Prints one line per set with its median
# wall and thread CPU time and the CPU ratio to probes off.
#
#   bench/probes.sh                       # (64, 100, 2, 128) and (64, 100, 128, 256), 30 repeats each
#   REPEATS=50 bench/probes.sh 64,100,2,128
set -euo pipefail
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
REPEATS=${REPEATS:-30}
bench/build.sh
CP="target/bench-classes:target/classes:$(cat target/bench-classpath.txt)"
for shape in ${1:-64,100,2,128 64,100,128,256}; do
  java -Xmx4g -cp "$CP" dev.carousel.bench.EngineBench probecost ${shape//,/ } "$REPEATS" 2>/dev/null | grep '^engine='
done
