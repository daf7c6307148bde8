#!/usr/bin/env bash
# store.sh: the result store's cost, old and new side by side in one run. A random sweep of 1,000 tiny cells
# (500 forget biases x 2 seeds; H = 8, T = 20, 20 updates) on local disk, in alternating processes:
# the sweep, a rerun that finds nothing new, `report`, and the number of files the tables hold.
#   bench/store.sh [BASE_REV] [REPEATS]      (default: the commit before the Delta store, 3 repeats)
# BASE_REV is built in a git worktree under target/bench-base; the working tree is the new side.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
base_rev="${1:-ce4b96a}"
repeats="${2:-3}"
work="$root/target/bench-store"
rm -rf "$work" && mkdir -p "$work"

base="$root/target/bench-base"
if [ ! -d "$base" ] || [ "$(git -C "$base" rev-parse HEAD)" != "$(git -C "$root" rev-parse "$base_rev")" ]; then
  git -C "$root" worktree remove --force "$base" 2>/dev/null || rm -rf "$base"
  git -C "$root" worktree add --detach "$base" "$base_rev" >/dev/null
fi
echo "building $base_rev and the working tree ..." >&2
(cd "$base" && mvn -B -q -o -DskipTests -Dshade.skip=true package) >&2
(cd "$root" && mvn -B -q -o -DskipTests -Dshade.skip=true package) >&2

cat > "$work/tiny1000.conf" <<'SPEC'
name = tiny1000
base {
  task { name = adding, length = 20, validation-sequences = 32 }
  model { hidden = 8 }
  optimizer { name = adam, learning-rate = 0.01 }
  training { batch-size = 8, updates = 20, eval-every = 10 }
  probes { enabled = true, every = 10 }
}
random { count = 500, seed = 1, axes { "model.forget-gate.bias" = { distribution = uniform, min = -3, max = 3 } } }
seeds = [1, 2]
SPEC

seconds() { # seconds COMMAND...: runs it quietly, prints its wall time
  local t0 t1
  t0=$(date +%s.%N)
  "$@" >/dev/null 2>&1
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc
}

for i in $(seq 1 "$repeats"); do
  for side in old new; do
    tree="$root"; [ "$side" = old ] && tree="$base"
    out="$work/$side-$i"
    sweep=$(seconds "$tree/jobs/carousel" sweep "$work/tiny1000.conf" --out "$out" --master 'local[2]' -q)
    rerun=$(seconds "$tree/jobs/carousel" sweep "$work/tiny1000.conf" --out "$out" --master 'local[2]' -q)
    report=$(seconds "$tree/jobs/carousel" report "$out")
    files=$(find "$out/runs" "$out/curves" "$out/step_stats" -type f | wc -l)
    cells=$(grep -o '"id"' "$out/sweep.json" | wc -l)
    echo "store $side repeat $i: sweep ${sweep}s rerun ${rerun}s report ${report}s files $files cells $cells"
  done
done
