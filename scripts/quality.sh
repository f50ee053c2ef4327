#!/usr/bin/env bash
# Instruction-count quality run: `k2lab optimize` on every benchmark of a suite with K2's
# compaction parameters (k2_params, -n iterations_compaction × ITER_SCALE), then a markdown table
# of ours vs K2's counts. Usage: scripts/quality.sh [SUITE.json] [OUT_DIR] [JOBS] [TIME_LIMIT_S] [SEED] [ITER_SCALE] [BENCH…]
set -euo pipefail
cd "$(dirname "$0")/.."
suite=${1:-suites/builtin/suite.json}
out=${2:-results/quality/$(basename "$(dirname "$suite")")}
jobs=${3:-2}
limit=${4:-900}
seed=${5:-1}
scale=${6:-1}
only="${*:7}"
mkdir -p "$out/runs" "$out/programs"
dir=$(dirname "$suite")
node -e '
const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const only = process.argv[3] ? process.argv[3].split(" ") : null;
for (const b of s.benchmarks) if (!only || only.includes(b.name)) console.log([b.name, b.insns.replace(/\.insns$/, ""), Math.round(b.iterations_compaction * Number(process.argv[2]))].join("\t"));
' "$suite" "$scale" "$only" | while IFS=$'\t' read -r name prog iters; do
  printf '%s\t%s\t%s\n' "$name" "$dir/$prog" "$iters"
done | xargs -P "$jobs" -L 1 bash -c '
  name=$0 prog=$1 iters=$2
  node bin/k2lab.js optimize "$prog" --params-from "'"$suite"'" --bench "$name" -n "$iters" --seed '"$seed"' --rules none \
    --variants optimized --time-limit '"$limit"' --quiet --json "'"$out"'/runs/$name.json" -o "'"$out"'/programs/$name" > "'"$out"'/runs/$name.txt" 2>&1 \
    || echo "FAILED: $name (exit $?)" >> "'"$out"'/runs/$name.txt"
  echo "done $name"
'
node scripts/quality-table.mjs "$suite" "$out" > "$out/README.md.tmp" && mv "$out/README.md.tmp" "$out/README.md"
echo "wrote $out/README.md"
