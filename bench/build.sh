#!/usr/bin/env bash
# Compiles Carousel and the benchmark harness (bench/src) against the 'bench' profile's class path
# (which adds DL4J's deeplearning4j-nn, the peer; never part of the application jar).
# Writes target/bench-classes and target/bench-classpath.txt. Needs Maven Central once, then works offline.
set -euo pipefail
cd "$(dirname "$0")/.."
OFFLINE=${MVN_OFFLINE:--o}
mvn -B -q $OFFLINE -Pbench compile dependency:build-classpath \
    -Dmdep.outputFile=target/bench-classpath.txt -Dmdep.includeScope=test >/dev/null \
  || mvn -B -q -Pbench compile dependency:build-classpath \
    -Dmdep.outputFile=target/bench-classpath.txt -Dmdep.includeScope=test >/dev/null
rm -rf target/bench-classes && mkdir -p target/bench-classes
javac -nowarn -d target/bench-classes -cp "target/classes:$(cat target/bench-classpath.txt)" \
    $(find bench/src -name '*.java')
