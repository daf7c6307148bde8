#!/usr/bin/env bash
# report.sh: how long `carousel report` takes on a 1,000-cell sweep, the size the report must stay readable and
# quick at: a random sweep of 500 forget biases in [-3, 3] x 2 seeds (tiny cells: adding T = 12, H = 4, 20 updates,
# probes at updates 0, 10 and 20), trained once, then the report written REPEATS times in fresh JVMs.
#   bench/report.sh [REPEATS]    (default 3)
# Prints each wall time (JVM start included), the median, and the figures with their legend entries.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
repeats="${1:-3}"
work="$root/target/bench-report"
rm -rf "$work" && mkdir -p "$work"
cat > "$work/biases.conf" <<'SPEC'
name = biases
base {
  task { name = adding, length = 12, validation-sequences = 16 }
  model { hidden = 4 }
  optimizer { name = adam, learning-rate = 0.01 }
  training { batch-size = 4, updates = 20, eval-every = 10 }
  probes { enabled = true, every = 10 }
}
random { count = 500, seed = 3, axes { "model.forget-gate.bias" = { distribution = uniform, min = -3, max = 3 } } }
seeds = [1, 2]
SPEC
cd "$root"
t0=$(date +%s.%N)
jobs/carousel sweep "$work/biases.conf" --out "$work/out" -q
t1=$(date +%s.%N)
awk "BEGIN { printf \"sweep of 1,000 cells: %.1f s (report included)\\n\", $t1 - $t0 }"
times=()
for i in $(seq 1 "$repeats"); do
  t0=$(date +%s.%N)
  jobs/carousel report "$work/out" > "$work/report-$i.log"
  t1=$(date +%s.%N)
  times+=("$(awk "BEGIN { print $t1 - $t0 }")")
  printf 'report %d: %.1f s (%s)\n' "$i" "${times[-1]}" "$(tail -1 "$work/report-$i.log")"
done
printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {printf "median of %d: %.1f s\n", NR, (NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2)}'
ls -la "$work/out/report" | awk 'NR > 1 { print "  " $5 "\t" $9 }'
