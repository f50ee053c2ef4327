#!/usr/bin/env node
// Tables and chart of results/search-scaling from scripts/search-scaling.mjs CSVs:
//   cost: per-candidate cost against program length, before/after, identical work (same digests),
//         candidates per CPU second (median over repetitions), tests-only checker;
//   scheduled: the default search (scheduler + Z3) per program: candidates/s, ms to best, saved.
// Usage: node scripts/search-scaling-table.mjs DIR (reads DIR/cost-before-*.csv, DIR/cost-after-*.csv, DIR/scheduled.csv)
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { renderSvg } from '../dist/src/bench/charts.js';

const dir = process.argv[2];
const read = (f) => {
  const [head, ...lines] = readFileSync(`${dir}/${f}`, 'utf8').trim().split('\n');
  const cols = head.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i], v])));
};
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const files = readdirSync(dir);
const runs = (prefix) => files.filter((f) => f.startsWith(prefix) && f.endsWith('.csv')).map(read);
const before = runs('cost-before-'), after = runs('cost-after-');
const byProg = (sets) => {
  const m = new Map();
  for (const rows of sets) for (const r of rows) { const x = m.get(r.program) ?? { insns: Number(r.insns), cps: [], digest: r.digest }; x.cps.push(Number(r.candidates_per_cpu_s)); m.set(r.program, x); }
  return m;
};
const B = byProg(before), A = byProg(after);
const rows = [...A.entries()].filter(([p]) => B.has(p)).map(([p, a]) => ({ program: p, insns: a.insns, before: median(B.get(p).cps), after: median(a.cps), same: B.get(p).digest === a.digest }))
  .sort((x, y) => x.insns - y.insns);
const band = (lo, hi) => rows.filter((r) => r.insns >= lo && r.insns < hi);
const gm = (xs) => Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);
const bands = [[0, 50], [50, 100], [100, 500], [500, Infinity]].map(([lo, hi]) => ({ lo, hi, r: band(lo, hi) })).filter((b) => b.r.length > 0);
const md = [
  `| program | insns | before: candidates / CPU s | after | after / before | same digest |`, '|---|---:|---:|---:|---:|:-:|',
  ...rows.map((r) => `| ${r.program} | ${r.insns} | ${Math.round(r.before)} | ${Math.round(r.after)} | ${(r.after / r.before).toFixed(2)} | ${r.same ? 'yes' : 'NO'} |`),
  '', '| length | programs | before (geomean) | after (geomean) | after / before |', '|---|---:|---:|---:|---:|',
  ...bands.map((b) => `| ${b.lo}–${b.hi === Infinity ? '' : b.hi - 1} | ${b.r.length} | ${Math.round(gm(b.r.map((r) => r.before)))} | ${Math.round(gm(b.r.map((r) => r.after)))} | ${(gm(b.r.map((r) => r.after)) / gm(b.r.map((r) => r.before))).toFixed(2)} |`),
];
writeFileSync(`${dir}/cost.md`, md.join('\n') + '\n');
writeFileSync(`${dir}/cost.csv`, ['program,insns,before_candidates_per_cpu_s,after_candidates_per_cpu_s,same_digest', ...rows.map((r) => [r.program, r.insns, Math.round(r.before), Math.round(r.after), r.same].join(','))].join('\n') + '\n');

let sched = [];
try { sched = read('scheduled.csv').sort((x, y) => Number(x.insns) - Number(y.insns)); } catch { /* not measured */ }
// The same -n with K2's automatic windows cycled every 5,000 iterations (the old default), when measured.
const k2 = new Map((files.includes('k2-windows.csv') ? read('k2-windows.csv') : []).map((r) => [r.program, r]));
const smd = [
  '| program | insns | candidates/s | ms to best | saved (insns) | saved with K2\'s automatic windows |', '|---|---:|---:|---:|---:|---:|',
  ...sched.map((r) => `| ${r.program} | ${r.insns} | ${r.candidates_per_s} | ${r.ms_to_best} | ${r.saved} | ${k2.get(r.program)?.saved ?? ''} |`),
  '', `Saved in all: ${sched.reduce((a, r) => a + Number(r.saved), 0)} instructions with the scheduler, ${[...k2.values()].filter((r) => sched.some((x) => x.program === r.program)).reduce((a, r) => a + Number(r.saved), 0)} with K2's automatic windows, over ${sched.reduce((a, r) => a + Number(r.insns), 0)} (${sched.length} programs).`,
];
writeFileSync(`${dir}/scheduled.md`, smd.join('\n') + '\n');

const values = rows.flatMap((r) => [{ insns: r.insns, cps: r.before, build: 'before (main)' }, { insns: r.insns, cps: r.after, build: 'after (scheduler branch)' }]);
const svg = await renderSvg({
  name: 'candidates-vs-length', title: 'candidates per CPU second against program length',
  spec: {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Candidates per CPU second against program length', subtitle: 'window mode, tests-only checker, identical work before/after (same digests); median of repetitions', anchor: 'start' },
    width: 520, height: 300, data: { values },
    mark: { type: 'point', filled: true, size: 50 },
    encoding: {
      x: { field: 'insns', type: 'quantitative', scale: { type: 'log' }, title: 'program length (instructions, log)' },
      y: { field: 'cps', type: 'quantitative', scale: { type: 'log' }, title: 'candidates / CPU s (log)' },
      color: { field: 'build', type: 'nominal', title: null },
    },
  },
});
writeFileSync(`${dir}/candidates-vs-length.svg`, svg);
process.stdout.write(md.join('\n') + '\n\n' + smd.join('\n') + '\n');
