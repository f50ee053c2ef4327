#!/usr/bin/env bash
# The passes alone (issue #18 "cheap rewrites first"): `k2lab optimize PROG --passes all -n 0` (no
# search iterations: what is written is the passes' program, through the output gate — final proof,
# safety, Linux verifier, kernel agreement) on K2's 11 programs and on every object of
# ../shared/real-world. Tabulated by scripts/passes-table.mjs into results/passes/ (per program:
# instructions before/after, each pass's credit, time, proof, kernel verdict). RunReports stay in a
# scratch folder (they hold programs derived from third-party code).
# Usage: scripts/passes-results.sh [OUT_DIR]   (default results/passes; as root for the kernel oracle)
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-results/passes}
T=${T:-120}
WORK=$(mktemp -d /tmp/k2lab-passes.XXXXXX)
SUITE=../shared/k2-suite
CORPUS=../shared/real-world/objs
mkdir -p "$OUT" "$WORK/k2" "$WORK/rw"
run() { # NAME JSON PROG OUT…
  local name=$1 json=$2; shift 2
  local start; start=$(date +%s.%N)
  node bin/k2lab.js optimize "$@" --passes all -n 0 --time-limit "$T" --rules none --quiet --json "$json" >"$json.out" 2>"$json.err"
  echo "$? $(echo "$(date +%s.%N) - $start" | bc)" > "$json.rc"
  echo "$name: exit $(cut -d' ' -f1 "$json.rc"), $(cut -d' ' -f2 "$json.rc") s" >&2
}
for name in $(node -e "for (const b of JSON.parse(require('fs').readFileSync('$SUITE/suite.json','utf8')).benchmarks) console.log(b.name)"); do
  run "$name" "$WORK/k2/$name.json" "$SUITE/programs/$name" -o "$WORK/k2/$name.out"
done
for obj in $(find "$CORPUS" -name '*.o' | sort); do
  name=${obj#"$CORPUS"/}; name=${name%.o}; safe=${name//\//__}
  run "$name" "$WORK/rw/$safe.json" "$obj" -o "$WORK/rw/$safe.opt.o"
done
node scripts/passes-table.mjs "$WORK" "$OUT" "${K2LAB_COMMIT:-$(git rev-parse HEAD 2>/dev/null || echo unknown)}"
echo "tables in $OUT; RunReports in $WORK" >&2
