#!/usr/bin/env bash
# The published profiling study's protocol in one command: every variant set against k2-baseline
# on K2's 11 programs × 15 repetitions (each its own process, interleaved), ending with the
# study-style table: mean, geomean (95% CI), min and max speed-up per step.
#
#   scripts/study-replay.sh [--reps N] [--iterations-scale F] [other k2lab bench flags…]
#
# Uses ../shared/k2-suite/suite.json when present (else k2lab's default suite) unless --suite is given.
# At full scale this takes many hours; --iterations-scale 0.05 --reps 5 gives a first picture.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

has() { local f=$1; shift; for a in "$@"; do [[ $a == "$f" || $a == "$f="* ]] && return 0; done; return 1; }

args=()
has --variants "$@" || args+=(--variants all)
has --reps "$@" || args+=(--reps 15)
if ! has --suite "$@" && [[ -f "$ROOT/../shared/k2-suite/suite.json" ]]; then
  args+=(--suite "$ROOT/../shared/k2-suite/suite.json")
fi
exec node "$ROOT/bin/k2lab.js" bench "${args[@]}" "$@"
