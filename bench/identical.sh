#!/usr/bin/env bash
# identical.sh: checks that a refactoring leaves results unchanged. Runs the default sweep
# (conf/sweeps/forget-gate.conf, 90 cells) and `probe conf/main.conf` at two commits, each in its own worktree,
# then compares every value column of the sweep's tables (bench/src/.../TableDump: doubles as bit patterns,
# wall_seconds left out) and every file of the probe bundle byte for byte (its manifest without the commit line).
#   bench/identical.sh BASE [NEW]        (NEW defaults to HEAD; about 3 minutes per commit on 2 cores)
# Prints row counts and "identical" or the first differences; exits 1 on any difference.
set -euo pipefail
shopt -s inherit_errexit
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
base="${1:?usage: bench/identical.sh BASE [NEW]}"
new="${2:-HEAD}"
work="$root/target/identical"
mkdir -p "$work"

run_at() {  # run_at REV: the sweep's table dump and probe bundle of REV under $work/REV-SHA
  local sha tree out
  sha=$(git -C "$root" rev-parse --short "$1")
  tree="$work/tree-$sha"; out="$work/out-$sha"
  if [ ! -f "$out/tables.txt" ]; then
    rm -rf "$tree" "$out"; mkdir -p "$out"; git -C "$root" worktree prune
    git -C "$root" worktree add -q --detach "$tree" "$sha"
    (cd "$tree" && jobs/carousel sweep conf/sweeps/forget-gate.conf --out "$out/sweep" -q \
      && jobs/carousel probe conf/main.conf --out "$out/probe") > "$out/run.log" 2>&1
    javac -nowarn -d "$out/dump" -cp "$tree/target/classes:$(cat "$tree/target/classpath.txt")" \
      "$root/bench/src/dev/carousel/bench/TableDump.java"
    java -cp "$out/dump:$tree/target/classes:$(cat "$tree/target/classpath.txt")" \
      -Dlog4j2.configurationFile="$tree/conf/log4j2.properties" \
      dev.carousel.bench.TableDump "$out/sweep" > "$out/tables.tmp" 2> "$out/dump.log"
    grep -E '^[a-z_]+: [0-9]+ rows$' "$out/dump.log" > "$out/counts.txt"
    mv "$out/tables.tmp" "$out/tables.txt"
    git -C "$root" worktree remove --force "$tree"
  fi
  echo "$out"
}

a=$(run_at "$base"); b=$(run_at "$new")
status=0
echo "tables ($(basename "$a" | cut -d- -f2) vs $(basename "$b" | cut -d- -f2)):"
paste "$a/counts.txt" "$b/counts.txt" | sed 's/^/  /'
if cmp -s "$a/tables.txt" "$b/tables.txt"; then
  echo "  identical: $(wc -l < "$a/tables.txt") rows, every value column"
else
  echo "  DIFFERENT:"; diff "$a/tables.txt" "$b/tables.txt" | head -20; status=1
fi
echo "probe bundle:"
files=$(cd "$a/probe" && find . -type f | sort)
[ "$files" = "$(cd "$b/probe" && find . -type f | sort)" ] || { echo "  DIFFERENT file lists"; status=1; }
for f in $files; do
  if [[ "$f" == *.json ]]; then
    same=$(diff <(grep -v '"commit"' "$a/probe/$f") <(grep -v '"commit"' "$b/probe/$f") > /dev/null && echo y || echo n)
  else
    same=$(cmp -s "$a/probe/$f" "$b/probe/$f" && echo y || echo n)
  fi
  [ "$same" = y ] || { echo "  DIFFERENT: $f"; status=1; }
done
[ $status -ne 0 ] || echo "  identical: $(echo "$files" | wc -l) files byte for byte"
exit $status
