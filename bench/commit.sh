#!/usr/bin/env bash
# commit.sh: what flushing commits to disk costs. Commits 200 groups of 3 synthetic cells (a sweep's group at the
# default --commit-seconds holds a few cells) into a fresh result store on local disk, and prints the median and
# 90th percentile wall time of one commit, for two commits side by side in alternating JVMs.
#   bench/commit.sh [BASE_REV] [NEW_REV] [REPEATS]   (default: the commit before durable commits, HEAD, 5)
# Each side is built in a git worktree of its own under target/.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
base_rev="${1:-23b2264}"
new_rev="${2:-HEAD}"
repeats="${3:-5}"
work="$root/target/bench-commit"
rm -rf "$work" && mkdir -p "$work"
"$root/bench/build.sh" >&2   # the harness's class path (the dependencies are the same on both sides)
deps="$(cat "$root/target/bench-classpath.txt")"
for side in old new; do
  rev="$base_rev"; [ "$side" = new ] && rev="$new_rev"
  tree="$root/target/bench-commit-$side"
  git -C "$root" worktree remove --force "$tree" 2>/dev/null || rm -rf "$tree"
  git -C "$root" worktree add --detach "$tree" "$(git -C "$root" rev-parse "$rev")" >/dev/null
  echo "building $side = $rev ..." >&2
  (cd "$tree" && mvn -B -q -o -DskipTests -Dshade.skip=true package) >&2
  mkdir -p "$work/$side-classes"
  javac -nowarn -d "$work/$side-classes" -cp "$tree/target/classes:$deps" \
    "$root/bench/src/dev/carousel/bench/StoreResumeBench.java"
done
for i in $(seq 1 "$repeats"); do
  for side in old new; do
    tree="$root/target/bench-commit-$side"
    printf '%s repeat %d: ' "$side" "$i"
    java -cp "$work/$side-classes:$tree/target/classes:$deps" -Dlog4j2.configurationFile="$root/conf/log4j2.properties" \
      dev.carousel.bench.StoreResumeBench commits "$work/$side-$i" 200 3
  done
done
for side in old new; do git -C "$root" worktree remove --force "$root/target/bench-commit-$side"; done
