#!/usr/bin/env bash
# Training-step benchmark, side by side on this machine: Carousel (probes off and on), DL4J's LSTM layer
# and PyTorch (../shared/bench/torch_lstm.py), plus the single-thread sgemm peak through ND4J's OpenBLAS.
# All single-threaded. ROUNDS rounds; in each, every engine runs every shape once (one process each),
# so machine noise hits all engines alike; the table reports medians over rounds of each engine's median
# step time and of the per-round ratios. At shapes of the adding task (I = 2) each round also times the product's
# own training paths per update (TrainBench: LocalTrainer, and DistributedTrainer on local[1]; TRAIN_PATHS to
# choose, "" for none). See BENCHMARKS.md.
#
#   bench/run.sh                  # all three shapes, ROUNDS=2
#   ROUNDS=1 bench/run.sh 64,100,2,128
#   bench/run.sh memory           # peak heap / off-heap against T and H (BENCHMARKS.md, Memory)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
ROUNDS=${ROUNDS:-2}
OUT=${OUT:-target/bench-results.txt}
TORCH_SCRIPT=${TORCH_SCRIPT:-$ROOT/../shared/bench/torch_lstm.py}
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1

bench/build.sh
CP="target/bench-classes:target/classes:$(cat target/bench-classpath.txt)"
JAVA=(java -Xmx4g -cp "$CP" dev.carousel.bench.EngineBench)

if [[ "${1:-}" == memory ]]; then
  for shape in "64 100 2 128" "64 200 2 128" "64 400 2 128" "64 100 2 256" "64 100 2 512" "32 50 512 512"; do
    "${JAVA[@]}" memory $shape 2>/dev/null | grep '^engine='
  done
  exit 0
fi

SHAPES=${1:-64,100,2,128 64,100,128,256 32,50,512,512}
have_torch() { [[ -f "$TORCH_SCRIPT" ]] && /usr/bin/python3 -c 'import torch' 2>/dev/null; }
HAVE_TORCH=1
if ! have_torch; then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    echo "installing PyTorch peer: apt-get install -y python3-torch libopenblas0-pthread" >&2
    apt-get install -y -q python3-torch libopenblas0-pthread >/dev/null || true
  fi
  have_torch || { HAVE_TORCH=0; echo "PyTorch peer skipped: needs $TORCH_SCRIPT and 'apt-get install -y python3-torch libopenblas0-pthread'" >&2; }
fi

TRAIN_PATHS=${TRAIN_PATHS-local spark}
# glibc's malloc returns PyTorch's freed activation buffers to the system (trim, and mmap for large blocks) and
# page-faults them back on the next step: in one process the same step then takes 50 to 130 ms at
# (64, 100, 2, 128). With these settings glibc keeps the memory and the step is steady (BENCHMARKS.md, "The
# PyTorch peer"); what a PyTorch user gets from jemalloc or tcmalloc.
TORCH_MALLOC=${TORCH_MALLOC-MALLOC_TRIM_THRESHOLD_=4000000000 MALLOC_MMAP_THRESHOLD_=4000000000 MALLOC_TOP_PAD_=536870912}
source bench/opens.sh

repeats() { # timed steps per process, by shape (the large shapes take seconds per step)
  case $1 in 64,100,2,128) echo 11 ;; 64,100,128,256) echo 5 ;; *) echo 3 ;; esac
}

: > "$OUT"
{ echo "# $(date -u +%FT%TZ) $(uname -m) $(nproc --all) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
  echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"; } | tee -a "$OUT"
for round in $(seq 1 "$ROUNDS"); do
  echo "# round $round" | tee -a "$OUT"
  "${JAVA[@]}" peak 7 2>/dev/null | grep '^engine=' | sed "s/^/round=$round /" | tee -a "$OUT"
  for shape in $SHAPES; do
    IFS=, read -r B T I H <<<"$shape"
    r=$(repeats "$shape")
    "${JAVA[@]}" ours "$B" "$T" "$I" "$H" "$r" 2>/dev/null | grep '^engine=' | sed "s/^/round=$round /" | tee -a "$OUT"
    java -Dbench.warmup=2 -Xmx4g -cp "$CP" dev.carousel.bench.EngineBench dl4j "$B" "$T" "$I" "$H" "$r" 2>/dev/null \
      | grep '^engine=' | sed "s/^/round=$round /" | tee -a "$OUT"
    if [[ $I == 2 ]]; then
      for path in $TRAIN_PATHS; do
        java -Xmx4g "${OPENS[@]}" -Dlog4j2.configurationFile="$ROOT/conf/log4j2.properties" -cp "$CP" \
            dev.carousel.bench.TrainBench "$path" "$B" "$T" "$H" 2>/dev/null | grep '^engine=' \
          | sed "s/^/round=$round /" | tee -a "$OUT"
      done
    fi
    if [[ $HAVE_TORCH == 1 ]]; then
      # PyTorch twice: with glibc's malloc as it comes, and with glibc told to keep freed memory (the reference;
      # see TORCH_MALLOC above). "pytorch" is the reference, "pytorch-default-malloc" the other.
      env $TORCH_MALLOC /usr/bin/python3 bench/torch_cpu.py "$TORCH_SCRIPT" --batch "$B" --steps "$T" --input "$I" \
          --hidden "$H" --threads 1 --iters "$r" --warmup 3 | paste -sd' ' | sed "s/^peer=/round=$round engine=/" \
        | tee -a "$OUT"
      /usr/bin/python3 bench/torch_cpu.py "$TORCH_SCRIPT" --batch "$B" --steps "$T" --input "$I" --hidden "$H" \
          --threads 1 --iters "$r" --warmup 3 | paste -sd' ' \
        | sed "s/^peer=pytorch-[^ ]*/round=$round engine=pytorch-default-malloc/" | tee -a "$OUT"
    fi
  done
done
echo "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT"
python3 bench/summarize.py "$OUT" wall
python3 bench/summarize.py "$OUT" cpu
