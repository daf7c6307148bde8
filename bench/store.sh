#!/usr/bin/env bash
# store.sh: the result store's cost, old and new side by side in one run. A random sweep of 1,000 tiny cells
# (500 forget biases x 2 seeds; H = 8, T = 20, 20 updates) on local disk, in alternating processes:
# the sweep, a rerun that finds nothing new, `report`, and the number of files the tables hold.
#   bench/store.sh [BASE_REV] [NEW_REV] [REPEATS]   (default: the commit before the Delta store, HEAD, 3)
# Each side is built in a git worktree of its own under target/ (so editing the tree meanwhile changes nothing).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
base_rev="${1:-ce4b96a}"
new_rev="${2:-HEAD}"
repeats="${3:-3}"
work="$root/target/bench-store"
rm -rf "$work" && mkdir -p "$work"

worktree() { # worktree DIR REV: a detached worktree of REV at DIR, built (plain jar and class path)
  local dir="$1" rev
  rev="$(git -C "$root" rev-parse "$2")"
  if [ ! -d "$dir" ] || [ "$(git -C "$dir" rev-parse HEAD)" != "$rev" ]; then
    git -C "$root" worktree remove --force "$dir" 2>/dev/null || rm -rf "$dir"
    git -C "$root" worktree add --detach "$dir" "$rev" >/dev/null
  fi
  echo "building $2 ($rev) in $dir ..." >&2
  (cd "$dir" && mvn -B -q -o -DskipTests -Dshade.skip=true package) >&2
}
old_tree="$root/target/bench-old"
new_tree="$root/target/bench-new"
worktree "$old_tree" "$base_rev"
worktree "$new_tree" "$new_rev"

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
    tree="$new_tree"; [ "$side" = old ] && tree="$old_tree"
    out="$work/$side-$i"
    sweep=$(seconds "$tree/jobs/carousel" sweep "$work/tiny1000.conf" --out "$out" --master 'local[2]' -q)
    rerun=$(seconds "$tree/jobs/carousel" sweep "$work/tiny1000.conf" --out "$out" --master 'local[2]' -q)
    report=$(seconds "$tree/jobs/carousel" report "$out")
    files=$(find "$out/runs" "$out/curves" "$out/step_stats" -type f | wc -l)
    cells=$(grep -o '"id"' "$out/sweep.json" | wc -l)
    echo "store $side repeat $i: sweep ${sweep}s rerun ${rerun}s report ${report}s files $files cells $cells"
  done
done

# Resume over a large table: 100,000 committed cells synthesised in groups of 1,000, then found by a fresh JVM
# opening the store as a resumed sweep does (new side only: the old layout held one file per cell and table).
"$root/bench/build.sh" >&2
cp_bench="$root/target/bench-classes:$root/target/classes:$(cat "$root/target/bench-classpath.txt")"
java -Xmx4g -cp "$cp_bench" dev.carousel.bench.StoreResumeBench synth "$work/resume" 100000 1000
for i in 1 2 3; do
  java -Xmx4g -cp "$cp_bench" dev.carousel.bench.StoreResumeBench open "$work/resume"
done
echo "resume: files $(find "$work/resume" -type f | wc -l)"
