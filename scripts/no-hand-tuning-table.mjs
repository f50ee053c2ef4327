#!/usr/bin/env node
// results.csv + results.md of scripts/no-hand-tuning.sh: per program the instruction count written
// (proved and kernel-accepted, or the original) against K2's published count.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
const [suitePath, out] = process.argv.slice(2);
const suite = JSON.parse(readFileSync(suitePath, 'utf8'));
const rows = [];
for (const b of suite.benchmarks) {
  const f = `${out}/runs/${b.name}.json`;
  const r = existsSync(f) ? JSON.parse(readFileSync(f, 'utf8')) : undefined;
  const x = Array.isArray(r) ? r[0] : r;
  const k2 = b.k2_reference.k2_instructions;
  rows.push({
    program: b.name, original: b.instructions, k2, ours: x?.bestInsnCount ?? NaN, verified: x?.verified ?? 'missing',
    kernelAccepted: x?.kernelAccepted ?? null, chains: x?.chains?.length ?? 1, candidatesPerSecond: Math.round(x?.candidatesPerSecond ?? 0),
    sToBest: x ? (x.msToBest / 1000).toFixed(1) : '', k2SToSmallest: b.k2_reference.seconds_to_smallest,
  });
}
const ok = (r) => r.ours <= r.k2 && (r.ours === r.original || (r.kernelAccepted === true && r.verified === 'whole-program'));
const cols = Object.keys(rows[0]);
writeFileSync(`${out}/results.csv`, [cols.join(','), ...rows.map((r) => cols.map((c) => r[c]).join(','))].join('\n') + '\n');
const md = [
  '| program | clang -O2 | K2 (published) | k2lab, no K2 flags | ≤ K2 | verified | kernel | chains | candidates/s | s to best | K2 s to smallest |',
  '|---|---:|---:|---:|:-:|---|---|---:|---:|---:|---:|',
  ...rows.map((r) => `| ${r.program} | ${r.original} | ${r.k2} | ${r.ours} | ${ok(r) ? 'yes' : 'no'} | ${r.verified} | ${r.kernelAccepted === true ? 'accepted' : String(r.kernelAccepted)} | ${r.chains} | ${r.candidatesPerSecond} | ${r.sToBest} | ${r.k2SToSmallest} |`),
  '', `At most K2's count on ${rows.filter(ok).length} of ${rows.length}.`,
];
writeFileSync(`${out}/results.md`, md.join('\n') + '\n');
process.stdout.write(md.join('\n') + '\n');
