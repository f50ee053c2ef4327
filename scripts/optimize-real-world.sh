#!/usr/bin/env bash
# The done-when measurement of issue #17: `k2lab optimize OBJ --time-limit T -o OUT.o` on every object
# of ../shared/real-world (or the objects given), then for each: exit status and wall time, programs
# `bpftool prog loadall` loads from the input and from the output, `goto +0` left in the output, and
# the per-section results from the RunReport (slots before/after, proof, kernel agreement on 1,000
# inputs). Writes results/real-world/optimize-${T}s.{csv,md}; per-object reports in a scratch folder.
# Usage: scripts/optimize-real-world.sh [-t SECONDS] [OBJ...]   (as root: bpftool needs bpf())
set -uo pipefail
cd "$(dirname "$0")/.."
T=30
if [ "${1:-}" = "-t" ]; then T=$2; shift 2; fi
CORPUS=../shared/real-world/objs
if [ $# -gt 0 ]; then OBJS=("$@"); else mapfile -t OBJS < <(find "$CORPUS" -name '*.o' | sort); fi
OUT=results/real-world
WORK=$(mktemp -d /tmp/k2lab-optimize-rw.XXXXXX)
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
mkdir -p "$OUT"
ROWS="$WORK/rows.tsv"
: > "$ROWS"
loads() { # programs bpftool loads from an object (0 when it fails)
  local pin=/sys/fs/bpf/k2lab-rw-$$
  rm -rf "$pin"
  if bpftool prog loadall "$1" "$pin" >/dev/null 2>&1; then ls "$pin" | wc -l; else echo 0; fi
  rm -rf "$pin"
}
for obj in "${OBJS[@]}"; do
  name=${obj#"$CORPUS"/}; name=${name%.o}; safe=${name//\//__}
  start=$(date +%s.%N)
  node bin/k2lab.js optimize "$obj" --time-limit "$T" -o "$WORK/$safe.opt.o" --json "$WORK/$safe.json" --rules none --quiet >"$WORK/$safe.out" 2>"$WORK/$safe.err"
  rc=$?
  secs=$(echo "$(date +%s.%N) - $start" | bc)
  in=$(loads "$obj"); out=0; nops=-
  gotos() { llvm-objdump-19 -d "$1" | grep -cE '\bgoto \+0x0\b' || true; }
  if [ -f "$WORK/$safe.opt.o" ]; then
    out=$(loads "$WORK/$safe.opt.o")
    # goto +0 in the output beyond those clang itself left in the input (0 = none of ours)
    nops=$(( $(gotos "$WORK/$safe.opt.o") - $(gotos "$obj") ))
  fi
  printf '%s\t%s\t%.1f\t%s\t%s\t%s\t%s\t%s\n' "$name" "$rc" "$secs" "$in" "$out" "$nops" "$WORK/$safe.json" "$(head -c 200 "$WORK/$safe.err" | tr '\t\n' '  ')" >> "$ROWS"
  echo "$name: exit $rc, ${secs}s, loads $in -> $out" >&2
done
node --input-type=module - "$ROWS" "$OUT/optimize-${T}s" "$T" "${K2LAB_COMMIT:-$(git rev-parse HEAD 2>/dev/null || echo unknown)}" <<'JS'
import { readFileSync, existsSync, writeFileSync } from 'node:fs';
const [rowsFile, base, T, commit] = process.argv.slice(2);
const rows = readFileSync(rowsFile, 'utf8').trim().split('\n').filter(Boolean).map((l) => l.split('\t'));
const out = [];
// Per section over the corpus (issue #18's done-when): instructions before/after, and for the smaller ones the proof and kernel verdict.
const all = [];
for (const [name, rc, secs, loadsIn, loadsOut, nops, json, err] of rows) {
  const r = existsSync(json) ? JSON.parse(readFileSync(json, 'utf8')) : undefined;
  const secsOf = r?.sections ?? [];
  const reps = r?.reports ?? [];
  const smaller = secsOf.filter((s) => s.after < s.before);
  for (const s of secsOf) {
    const rep = reps.find((x) => x.section === s.section);
    all.push({ before: s.before, after: s.after, verified: rep?.verified, kernel: rep?.kernelAccepted });
  }
  const agreeIn = reps.reduce((n, x) => n + (x.kernelAgreement?.inputs ?? 0), 0);
  const agreeBad = reps.reduce((n, x) => n + (x.kernelAgreement?.mismatches ?? 0), 0);
  out.push({ object: name, exit: Number(rc), seconds: Number(secs), sections: secsOf.length, searched: reps.length,
    smaller: smaller.length, slotsBefore: secsOf.reduce((n, s) => n + s.before, 0), slotsAfter: secsOf.reduce((n, s) => n + s.after, 0),
    saved: secsOf.reduce((n, s) => n + s.before - s.after, 0), loadsIn: Number(loadsIn), loadsOut: Number(loadsOut), addedGotoZero: nops,
    kernelInputs: agreeIn, kernelMismatches: agreeBad,
    note: (err || secsOf.filter((s) => s.skipped).map((s) => `${s.section}: ${s.skipped}`).slice(0, 2).join('; ')).replace(/[|\n]/g, ' ').slice(0, 160) });
}
const cols = Object.keys(out[0]);
writeFileSync(`${base}.csv`, [cols.join(','), ...out.map((o) => cols.map((c) => JSON.stringify(o[c])).join(','))].join('\n') + '\n');
const ok = out.filter((o) => o.exit === 0 && o.seconds <= Number(T) + 2 && o.loadsOut === o.loadsIn && (o.addedGotoZero === '0' || o.addedGotoZero === '-') && o.kernelMismatches === 0);
const md = [`# optimize --time-limit ${T} on the real-world corpus`, '',
  `Produced by \`scripts/optimize-real-world.sh -t ${T}\` at commit ${commit} (on a shared 2-core machine under load).`, '',
  `- objects: ${out.length}; exit 0: ${out.filter((o) => o.exit === 0).length}; within ${Number(T) + 2} s: ${out.filter((o) => o.seconds <= Number(T) + 2).length}`,
  `- bpftool loads as many programs from the output as from the input: ${out.filter((o) => o.loadsOut === o.loadsIn).length} (input loads at all: ${out.filter((o) => o.loadsIn > 0).length})`,
  `- objects with a smaller section: ${out.filter((o) => o.smaller > 0).length}; sections smaller: ${out.reduce((n, o) => n + o.smaller, 0)}; slots saved: ${out.reduce((n, o) => n + o.saved, 0)}`,
  (() => {
    const before = all.reduce((n, s) => n + s.before, 0), saved = all.reduce((n, s) => n + s.before - s.after, 0);
    const shorter = all.filter((s) => s.after < s.before);
    const mean = all.reduce((n, s) => n + (s.before > 0 ? (s.before - s.after) / s.before : 0), 0) / Math.max(1, all.length);
    return `- against clang -O2 over all ${all.length} program sections: ${before} → ${before - saved} instructions, **${saved} saved (${(100 * saved / Math.max(1, before)).toFixed(2)}%)**; mean saved per section ${(100 * mean).toFixed(2)}%\n` +
      `- the ${shorter.length} shortened sections: proved ${shorter.filter((s) => s.verified === 'whole-program' || s.verified === 'window-chain').length} (whole program ${shorter.filter((s) => s.verified === 'whole-program').length}, window chain ${shorter.filter((s) => s.verified === 'window-chain').length}); accepted by the Linux verifier ${shorter.filter((s) => s.kernel === true).length}`;
  })(),
  `- kernel comparisons of optimized sections: ${out.reduce((n, o) => n + o.kernelInputs, 0)} inputs, ${out.reduce((n, o) => n + o.kernelMismatches, 0)} mismatches`,
  `- objects whose output holds a \`goto +0\` the input did not have: ${out.filter((o) => o.addedGotoZero !== '0' && o.addedGotoZero !== '-').length}`,
  `- every criterion met (exit 0, within ${Number(T) + 2} s, same programs loaded, no added goto +0, no kernel mismatch): ${ok.length} of ${out.length}`, '',
  `| ${cols.join(' | ')} |`, `|${cols.map(() => '---').join('|')}|`,
  ...out.map((o) => `| ${cols.map((c) => String(o[c])).join(' | ')} |`)].join('\n') + '\n';
writeFileSync(`${base}.md`, md);
console.log(md.split('\n').slice(0, 10).join('\n'));
JS
rm -rf "$WORK"
