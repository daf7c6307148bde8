# Sourced by the bench scripts: OPENS, the --add-opens options Spark needs on Java 17, read from the pom's
# spark.java17.opens property (what the tests use), so the list is kept in one place.
OPENS=($(sed -n 's:.*<spark.java17.opens>\(.*\)</spark.java17.opens>.*:\1:p' "$(dirname "${BASH_SOURCE[0]}")/../pom.xml"))
if [[ ${#OPENS[@]} == 0 ]]; then
  echo "bench/opens.sh: no <spark.java17.opens> in pom.xml" >&2
  exit 2
fi
