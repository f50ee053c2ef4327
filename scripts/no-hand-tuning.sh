#!/bin/sh
# K2's 11 programs with no K2 flags (issue #18): `k2lab optimize PROG --time-limit T` (default 60 s),
# the defaults a user gets (scheduled windows, one chain per core), no rule database. Writes one
# RunReport per program and results.csv + results.md against K2's published counts (suite.json).
# Usage: scripts/no-hand-tuning.sh [OUT_DIR] [SECONDS]
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$here/results/no-hand-tuning}
secs=${2:-60}
suite=${K2_SUITE:-$here/../shared/k2-suite}
[ -f "$suite/suite.json" ] || { echo "no-hand-tuning.sh: $suite/suite.json not found (../shared absent?)" >&2; exit 2; }
mkdir -p "$out/runs"
for name in $(node -e 'for (const b of require(process.argv[1]).benchmarks) console.log(b.name)' "$suite/suite.json"); do
  node "$here/bin/k2lab.js" optimize "$suite/programs/$name" --time-limit "$secs" --rules none --quiet \
    --json "$out/runs/$name.json" -o "$out/runs/$name" > "$out/runs/$name.log" 2>&1 || echo "$name: exit $?" >&2
done
node "$here/scripts/no-hand-tuning-table.mjs" "$suite/suite.json" "$out"
