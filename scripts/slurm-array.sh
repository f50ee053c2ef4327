#!/usr/bin/env bash
# One k2lab sweep over a Slurm job array: one shard per array task (`k2lab bench --shard I/N`), then
# a merge job that runs once every task has ended (`k2lab merge`). Submit from the login node:
#
#   scripts/slurm-array.sh N OUT [k2lab bench flags…]      e.g.  scripts/slurm-array.sh 4 results/study --variants all
#
# Every task gets the same bench flags (they define the plan; merge refuses shards of different plans).
# A requeued task resumes its shard's folder instead of starting over. The array task and the merge
# job run this same script with __task / __merge; Slurm runs a copy of it, so the repository's path
# travels in K2LAB_ROOT. Tasks ask for a whole node (--exclusive) so that no two measurements share one.
#SBATCH --exclusive
#SBATCH --time=24:00:00
set -euo pipefail

ROOT="${K2LAB_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
k2lab() { node "$ROOT/bin/k2lab.js" "$@"; }

usage() {
  echo "usage: $0 N OUT [k2lab bench flags…]   (submits N array tasks and a merge job)" >&2
  exit 2
}

case "${1:-}" in
  __task)
    [[ $# -ge 3 ]] || usage
    n=$2; out=$3; shift 3
    i=${SLURM_ARRAY_TASK_ID:?__task runs inside a Slurm array task (SLURM_ARRAY_TASK_ID)}
    dir="$out/shard-$i"
    status=0
    if [[ -f "$dir/sweep.json" ]]; then
      k2lab bench --resume "$dir" || status=$?
    else
      k2lab bench --shard "$i/$n" --out "$dir" "$@" || status=$?
    fi
    # Status 1 = the sweep finished with some failed runs, recorded in the folder: the task did its job.
    [[ $status -eq 0 || $status -eq 1 ]] || exit "$status"
    ;;
  __merge)
    [[ $# -ge 3 ]] || usage
    out=$3
    shopt -s nullglob
    shards=("$out"/shard-*)
    [[ ${#shards[@]} -gt 0 ]] || { echo "$0: no shard folders in $out" >&2; exit 2; }
    k2lab merge "${shards[@]}" --out "$out/merged"
    ;;
  ''|-h|--help) usage ;;
  *)
    [[ $# -ge 2 && $1 =~ ^[1-9][0-9]*$ ]] || usage
    n=$1; out=$2; shift 2
    command -v sbatch >/dev/null || { echo "$0: sbatch not found (run this on a Slurm login node)" >&2; exit 2; }
    mkdir -p "$out"
    out=$(cd "$out" && pwd)
    job=$(sbatch --parsable --export=ALL,K2LAB_ROOT="$ROOT" --array=1-"$n" --job-name=k2lab-bench \
      --output="$out/slurm-%A_%a.log" "${BASH_SOURCE[0]}" __task "$n" "$out" "$@")
    merge=$(sbatch --parsable --export=ALL,K2LAB_ROOT="$ROOT" --dependency=afterany:"${job%%;*}" --job-name=k2lab-merge \
      --output="$out/slurm-merge-%j.log" "${BASH_SOURCE[0]}" __merge "$n" "$out")
    echo "submitted array job ${job%%;*} ($n shards) and merge job ${merge%%;*}: results in $out/merged"
    ;;
esac
