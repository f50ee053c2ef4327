#!/bin/sh
# Fetches K2's published benchmark inputs and makes a k2lab suite of them (needs git, internet and
# `npm run build`): clones github.com/smartnic/superopt-input-bm and K2's artifact scripts at fixed
# commits into DEST/sources, then `k2lab import-suite` writes DEST/programs and DEST/suite.json.
# Usage: scripts/fetch-k2-suite.sh [DEST]   (default ./k2-suite); then: k2lab bench --suite DEST/suite.json
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEST=${1:-k2-suite}
BM_REPO=https://github.com/smartnic/superopt-input-bm
BM_COMMIT=04537781953625498cb95a634cd612831c84f886
BM_FOLDER=input_bm_0108_ab7e41e
ARTIFACT_REPO=https://github.com/SeanHeelan/sigcomm21_artifact
ARTIFACT_COMMIT=b5c40177caf1c914339476ba4cc6db29b241a6b7
SCRIPTS=4_reproduce_results/1_insn_count_default

# Shallow fetch of exactly one commit (GitHub serves fetches by commit id).
fetch() { # repo commit dir
	if [ ! -d "$3/.git" ]; then
		git init -q "$3"
		git -C "$3" remote add origin "$1"
	fi
	git -C "$3" fetch -q --depth 1 origin "$2"
	git -C "$3" -c advice.detachedHead=false checkout -q FETCH_HEAD
}

mkdir -p "$DEST/sources"
fetch "$BM_REPO" "$BM_COMMIT" "$DEST/sources/superopt-input-bm"
fetch "$ARTIFACT_REPO" "$ARTIFACT_COMMIT" "$DEST/sources/sigcomm21_artifact"

set -- --k2-script "$DEST/sources/sigcomm21_artifact/$SCRIPTS/bm_default.sh"
if [ -f "$DEST/sources/sigcomm21_artifact/$SCRIPTS/insn_count.sh" ]; then
	set -- "$@" --compaction-script "$DEST/sources/sigcomm21_artifact/$SCRIPTS/insn_count.sh"
fi
node "$ROOT/bin/k2lab.js" import-suite "$DEST/sources/superopt-input-bm/$BM_FOLDER" --out "$DEST" "$@" \
	--description "The benchmark programs of the K2 superoptimizer evaluation (SIGCOMM 2021) and the parameters used to time them, fetched by scripts/fetch-k2-suite.sh." \
	--provenance "programs=$BM_REPO at commit $BM_COMMIT, folder $BM_FOLDER" \
	--provenance "k2_params_and_iterations_timing=$SCRIPTS/bm_default.sh in $ARTIFACT_REPO at $ARTIFACT_COMMIT" \
	--provenance "iterations_compaction=$SCRIPTS/insn_count.sh in the same repository when present, else iterations_timing" \
	--provenance "k2_reference=clang_O2_instructions is each program's slot count; K2's published results are not fetched (null)"
