#!/usr/bin/env bash
# Two threads in one task (BENCHMARKS.md, "Threads in one task"): one gradient pass of an LSTM, float32, no probes,
# on one thread against the same pass split across two by sequences (nn.SplitBatchNetwork); each BLAS call
# single-threaded. Run on an otherwise idle 2-core machine: the second thread needs the second core.
#
#   bench/split.sh                          # the shapes below, 15 repeats each
#   REPEATS=30 bench/split.sh 64,100,512,1024
set -euo pipefail
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
REPEATS=${REPEATS:-15}
bench/build.sh
CP="target/bench-classes:target/classes:$(cat target/bench-classpath.txt)"
SHAPES=${1:-32,100,2,32 64,100,2,64 64,100,2,128 32,50,512,512 64,100,128,256 256,100,128,256 64,100,512,1024}
for shape in $SHAPES; do
  java -Xmx6g -cp "$CP" dev.carousel.bench.EngineBench split ${shape//,/ } "$REPEATS" 2>/dev/null | grep '^engine='
done
