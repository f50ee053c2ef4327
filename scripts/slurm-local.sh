#!/usr/bin/env bash
# A real Slurm run on this one machine: starts munged, slurmctld and slurmd from Debian's packages
# (slurm-wlm, munge) with their configuration, key, sockets, state and logs in a temporary folder (no
# systemd, nothing in /etc), submits a 2-shard `k2lab bench --fast` sweep through scripts/slurm-array.sh
# (sbatch: an array of 2 tasks + a merge job), waits for the merge job, checks that OUT/merged holds
# exactly the runs of the unsharded sweep's plan, and stops every daemon it started (trap, by PID).
#
#   scripts/slurm-local.sh OUT [k2lab bench flags…]    (default flags: --iterations-scale 0.001)
#
# Needs root (slurmd runs the jobs) and the Debian packages slurm-wlm and munge. Exit status 0 when
# OUT/merged equals the plan, 1 when it does not or a job failed, 2 for bad usage or missing tools.
# K2LAB_SLURM_TIMEOUT (seconds, default 900) bounds the wait; K2LAB_SLURM_KEEP=1 keeps the temporary
# folder (logs) even on success.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
say() { echo "slurm-local: $*" >&2; }
die() { say "$1"; exit "${2:-1}"; }

[[ $# -ge 1 && $1 != -* ]] || die "usage: $0 OUT [k2lab bench flags…]   (a 2-shard bench --fast sweep through a one-node Slurm cluster)" 2
out=$1; shift
flags=(--fast "$@")
[[ $# -gt 0 ]] || flags+=(--iterations-scale 0.001)

for tool in munged mungekey slurmctld slurmd sbatch squeue scontrol scancel sinfo; do
  command -v "$tool" >/dev/null || die "$tool not found (apt-get install slurm-wlm munge)" 2
done
[[ $(id -u) -eq 0 ]] || die "needs root: slurmd runs the jobs" 2
[[ ! -e $out || -z $(ls -A "$out" 2>/dev/null) ]] || die "$out exists and is not empty" 2
mkdir -p "$out"
out=$(cd "$out" && pwd)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/k2lab-slurm.XXXXXX")
chmod 700 "$tmp"
mkdir -p "$tmp/munge" "$tmp/state" "$tmp/spool"
pids=()
ok=0
cleanup() {
  set +e
  if [[ -f $tmp/slurm.conf ]] && [[ ${#pids[@]} -gt 0 ]]; then
    # Jobs first (their processes belong to slurmstepd, not to the daemons), then the daemons.
    SLURM_CONF=$tmp/slurm.conf scancel --quiet --user="$(id -un)" 2>/dev/null
    for _ in $(seq 20); do [[ -z $(SLURM_CONF=$tmp/slurm.conf squeue -h 2>/dev/null) ]] && break; sleep 0.5; done
  fi
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[i]}" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  if [[ $ok -eq 1 && ${K2LAB_SLURM_KEEP:-0} != 1 ]]; then rm -rf "$tmp"; else say "daemon logs and configuration kept in $tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# munge: its own key, socket, pid, seed and log files (--force: it refuses root without it).
mungekey --create --keyfile="$tmp/munge/munge.key" >/dev/null
chmod 600 "$tmp/munge/munge.key"
munged --foreground --force --socket="$tmp/munge/munge.socket" --key-file="$tmp/munge/munge.key" \
  --pid-file="$tmp/munge/munged.pid" --seed-file="$tmp/munge/munged.seed" --log-file="$tmp/munge/munged.log" >"$tmp/munge/munged.out" 2>&1 &
pids+=($!)
for _ in $(seq 50); do [[ -S $tmp/munge/munge.socket ]] && break; sleep 0.1; done
[[ -S $tmp/munge/munge.socket ]] || die "munged did not start (see $tmp/munge/munged.log)"

# Slurm: one node (this machine, 127.0.0.1), one partition, no cgroups, no accounting; random ports so
# that two clusters on one machine do not collide.
host=$(hostname -s)
port=$((20000 + RANDOM % 20000))
cat >"$tmp/slurm.conf" <<EOF
ClusterName=k2lab-local
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$tmp/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/slurmctld.log
SlurmdLogFile=$tmp/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmdParameters=config_overrides
ReturnToService=2
MinJobAge=600
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$tmp/slurm.conf
slurmctld -D -i -f "$SLURM_CONF" >"$tmp/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" -N "$host" >"$tmp/slurmd.out" 2>&1 &
pids+=($!)
state=''
for _ in $(seq 60); do
  state=$(sinfo -h -n "$host" -o %T 2>/dev/null || true)
  [[ $state == idle ]] && break
  sleep 0.5
done
[[ $state == idle ]] || die "node $host not idle after 30 s (state '${state:-none}'; see $tmp/slurmctld.log, $tmp/slurmd.log)"
say "cluster up (munged, slurmctld, slurmd; SLURM_CONF=$SLURM_CONF)"

# The sweep: 2 array tasks (one shard each) and the merge job, submitted by the real script.
submitted=$(bash "$ROOT/scripts/slurm-array.sh" 2 "$out" "${flags[@]}")
echo "$submitted"
merge=$(sed -n 's/.* merge job \([0-9][0-9]*\).*/\1/p' <<<"$submitted")
[[ -n $merge ]] || die "could not read the merge job id from: $submitted"
deadline=$((SECONDS + ${K2LAB_SLURM_TIMEOUT:-900}))
jobstate=''
while ((SECONDS < deadline)); do
  jobstate=$(scontrol show job "$merge" -o 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')
  case $jobstate in COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY) break ;; esac
  sleep 1
done
[[ $jobstate == COMPLETED ]] || die "merge job $merge ended ${jobstate:-without a state} (logs: $out/slurm-*.log)"

# OUT/merged must hold exactly the runs (key and -n) of the same flags' unsharded plan.
expected=$(node "$ROOT/bin/k2lab.js" bench --dry-run "${flags[@]}" | sort)
actual=$(node -e '
  const fs = require("node:fs"), path = require("node:path");
  const dir = path.join(process.argv[1], "runs");
  const lines = fs.readdirSync(dir).filter((f) => f.endsWith(".json")).map((f) => { const r = JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")); return `${r.key} ${r.iterations}`; });
  process.stdout.write(lines.join("\n") + "\n");' "$out/merged" | sort)
if [[ $expected != "$actual" ]]; then
  diff <(echo "$expected") <(echo "$actual") >&2 || true
  die "$out/merged differs from the unsharded plan (< plan, > merged)"
fi
say "$out/merged holds the unsharded plan's $(wc -l <<<"$expected") runs, from 2 shards run by sbatch"
ok=1
