#!/usr/bin/env bash
# torch-sweep.sh: the default forget-gate sweep (conf/sweeps/forget-gate.conf) against the same cells trained as a
# plain PyTorch loop, what a user would write instead: ../shared/bench/torch_sweep.py, two processes on two cores,
# one thread each. Same shapes, updates, evaluations and seeds: adding A2 at T = 50, 75, 100; H = 32, batch 32,
# Adam 5e-3, 1,500 updates, 500 held-out sequences evaluated every 100 updates; learned biases -2..3, chrono,
# fixed(1), none and a tanh-RNN; seeds 1-3: 90 cells. The two run alternately, REPEATS times, in one run of this
# script; it prints every wall time, the medians and their ratio.
#   bench/torch-sweep.sh [REPEATS] [REV]      (default 3, HEAD)
# Carousel runs from a git worktree of REV under target/ (so editing the tree meanwhile changes nothing).
# Carousel's time is the whole README command: JVM and Spark start, 90 cells, commits and the report. The peer
# writes nothing and keeps no statistics. Setup of the peer (Debian): apt-get install -y python3-torch
# libopenblas0-pthread; TORCH_SWEEP overrides where torch_sweep.py is.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
repeats="${1:-3}"
peer="${TORCH_SWEEP:-$root/../shared/bench/torch_sweep.py}"
python="${PYTHON:-/usr/bin/python3}"
work="$root/target/bench-torch-sweep"
rm -rf "$work" && mkdir -p "$work"
rev="${2:-HEAD}"
tree="$root/target/bench-torch-tree"
git -C "$root" worktree remove --force "$tree" 2>/dev/null || rm -rf "$tree"
git -C "$root" worktree add --detach "$tree" "$(git -C "$root" rev-parse "$rev")" >/dev/null
(cd "$tree" && mvn -B -q -o -DskipTests -Dshade.skip=true package) >&2
"$python" -c 'import torch' || { echo "torch-sweep.sh: $python has no torch (apt-get install -y python3-torch)" >&2; exit 2; }
[ -f "$peer" ] || { echo "torch-sweep.sh: $peer not found (set TORCH_SWEEP)" >&2; exit 2; }
(cd "$tree" && jobs/carousel validate conf/sweeps/forget-gate.conf | head -1)

# glibc's malloc kept from returning the loop's freed buffers to the system (BENCHMARKS.md, "The PyTorch peer");
# TORCH_MALLOC= runs the loop with glibc's defaults.
TORCH_MALLOC=${TORCH_MALLOC-MALLOC_TRIM_THRESHOLD_=4000000000 MALLOC_MMAP_THRESHOLD_=4000000000 MALLOC_TOP_PAD_=536870912}
now() { date +%s.%N; }
carousel=()
torch=()
for i in $(seq 1 "$repeats"); do
  t0=$(now)
  (cd "$tree" && jobs/carousel sweep conf/sweeps/forget-gate.conf --out "$work/carousel-$i" -q) > "$work/carousel-$i.log"
  t1=$(now)
  env $TORCH_MALLOC OMP_NUM_THREADS=1 "$python" "$peer" --procs 2 --lengths 50 75 100 --biases -2 -1 0 1 2 3 --seeds 1 2 3 \
      --hidden 32 --batch 32 --updates 1500 --eval-every 100 --validation 500 --lr 5e-3 > "$work/torch-$i.log"
  t2=$(now)
  c=$(awk "BEGIN { print $t1 - $t0 }")
  p=$(awk "BEGIN { print $t2 - $t1 }")
  carousel+=("$c")
  torch+=("$p")
  printf 'repeat %d: carousel %.1f s (%s), pytorch loop %.1f s (%s)\n' "$i" "$c" "$(tail -1 "$work/carousel-$i.log")" \
      "$p" "$(tail -1 "$work/torch-$i.log")"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2)}'; }
mc=$(median "${carousel[@]}")
mp=$(median "${torch[@]}")
printf 'median of %d: carousel %.1f s, pytorch loop %.1f s; pytorch / carousel = %.2f\n' "$repeats" "$mc" "$mp" \
    "$(awk "BEGIN { print $mp / $mc }")"
